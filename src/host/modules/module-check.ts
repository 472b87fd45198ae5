import { statSync } from 'node:fs';
import { type ModuleImports, readModuleImportsElf } from '../../elf/index.js';
import { type CheckResult, CheckStream, checkModuleImports, type Symvers } from '../../kabi/index.js';
import { errnoWords } from '../read-problem.js';
import { eachModuleFile, readModuleFiles } from './module-files.js';
import { type FileStat, ModuleImportsCache } from './module-imports-cache.js';

/**
 * `klpm kmp check`: what `depmod -e -E` would say about these module files against `symvers`. Each
 * file is read once and checked as it comes (CheckStream), so only what may fail is kept; with
 * `cacheDir`, unchanged files come from what an earlier run read (ModuleImportsCache). A cache
 * that cannot be read or written is one `warn` line each; the answer is the same without it.
 */
export async function checkModuleFiles(
  paths: ReadonlyArray<string>,
  symvers: Symvers,
  cacheDir: string | undefined,
  warn: (text: string) => void = () => {},
): Promise<CheckResult> {
  const cache = cacheDir === undefined ? undefined : await ModuleImportsCache.load(cacheDir, warn);
  const stats: FileStat[] = cache === undefined ? [] : paths.map((path) => statSync(path));
  const stream = new CheckStream(symvers);
  const missing: number[] = [];
  for (const [index, path] of paths.entries()) {
    const hit = cache?.get(path, stats[index]!);
    if (hit === undefined) missing.push(index);
    else stream.add(index, hit);
  }
  const fresh: Array<{ stat: FileStat; module: ModuleImports }> = [];
  await eachModuleFile(
    missing.map((index) => paths[index]!),
    readModuleImportsElf,
    (at, module) => {
      const index = missing[at]!;
      stream.add(index, module);
      if (cache !== undefined) fresh.push({ stat: stats[index]!, module });
    },
  );
  if (cache !== undefined && fresh.length > 0)
    await cache.save(fresh).catch((error: unknown) => {
      warn(
        `cannot write the cache in ${cacheDir} (${errnoWords(error)}): the next run reads every module file again`,
      );
    });
  // the rare set CheckStream cannot answer alone: every module whole
  return stream.result() ?? checkModuleImports(symvers, await readModuleFiles(paths, readModuleImportsElf));
}
