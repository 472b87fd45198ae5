import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative, resolve as resolvePath } from 'node:path';
import { type ModuleInfo, moduleNameFromPath } from '../../elf/index.js';
import type { InstalledKernel, KmpBuild, KmpLink, ResolveFields } from '../../kabi/index.js';
import { buildOfTarget, kmpStoreDir, weakUpdatesDir } from '../../kabi/index.js';
import {
  describedModule,
  flavorOf,
  type KmpBuildDescription,
  parseKmpBuild,
  type Relevant,
  readRegistered,
  relevantTo,
} from '../../kmp/index.js';
import { readBoundedText } from '../files.js';
import { statePath } from '../paths.js';
import { problemOf, type ReadProblem } from '../read-problem.js';
import { realDirUnder } from './module-dir.js';
import type { ModuleReader } from './module-reader.js';

/** Prefix of a link being created, before it is renamed into place. */
export const tempPrefix = '.klpm-new-';

/** Everything klpm needs to resolve: kernels, builds in the store, the links on disk. */
export interface KmpState {
  readonly kernels: InstalledKernel[];
  readonly builds: KmpBuild[];
  readonly links: KmpLink[];
  /** what could not be read: a reading command reports it, a change refuses */
  readonly problems: ReadProblem[];
}

/** More entries than a store, a kernel list or a weak-updates directory holds: not klpm's. */
const MAX_ENTRIES = 100000;

/** The names in a directory (none when absent); a directory that cannot be listed is a problem. */
async function names(
  dir: string,
  problems: ReadProblem[],
  only: 'all' | 'directories' = 'all',
): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.length > MAX_ENTRIES) {
      problems.push({ path: dir, problem: `more than ${MAX_ENTRIES} entries` });
      return [];
    }
    return entries
      .filter((e) => only === 'all' || e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(problemOf(error, dir));
    return [];
  }
}

/** The text of a file klpm wrote, or undefined and a problem. */
async function text(path: string, problems: ReadProblem[]): Promise<string | undefined> {
  try {
    const found = await readBoundedText(path);
    if (found === undefined) problems.push({ path, problem: 'no such file' });
    return found;
  } catch (error) {
    problems.push(problemOf(error, path));
    return undefined;
  }
}

/**
 * Reads the store, the links and the registered kernels. Each kernel is read only as far as the
 * builds (those in the store and `adding`) can be affected by it (`readRegistered`).
 */
export async function readState(
  root: string,
  reader: ModuleReader,
  adding: ReadonlyArray<KmpBuild> = [],
): Promise<KmpState> {
  const problems: ReadProblem[] = [];
  const [builds, links] = await Promise.all([readBuilds(root, reader, problems), readLinks(root, problems)]);
  const kernels = await readKernels(root, relevantTo([...builds, ...adding]), problems);
  // a registered kernel's module directory is where its links go
  for (const kernel of kernels) {
    const dir = join(root, 'lib/modules', kernel.release);
    const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      if (info.code !== 'ENOENT') problems.push(problemOf(info, dir));
    } else if (!info.isDirectory())
      problems.push({ path: dir, problem: `a file where kernel ${kernel.release} has its module directory` });
  }
  return { kernels, builds, links, problems };
}

export async function readKernels(
  root: string,
  relevant?: Relevant,
  problems: ReadProblem[] = [],
): Promise<InstalledKernel[]> {
  const dir = statePath(root, 'kmpKernels');
  const kernels: InstalledKernel[] = [];
  for (const file of (await names(dir, problems)).filter((f) => f.endsWith('.json'))) {
    const path = join(dir, file);
    const found = await text(path, problems);
    if (found === undefined) continue;
    try {
      kernels.push(readRegistered(found, path, relevant));
    } catch (error) {
      problems.push(problemOf(error, path));
    }
  }
  return kernels;
}

async function readBuilds(root: string, reader: ModuleReader, problems: ReadProblem[]): Promise<KmpBuild[]> {
  const store = join(root, kmpStoreDir);
  const builds: KmpBuild[] = [];
  // three levels, package/version/built-for: bounded by the store's layout, no recursion
  for (const pkg of await names(store, problems))
    for (const version of await names(join(store, pkg), problems))
      for (const builtFor of await names(join(store, pkg, version), problems)) {
        if (builtFor.endsWith('.klpm-new')) continue; // a copy `kmp add` never renamed into place
        const dir = join(store, pkg, version, builtFor);
        const path = join(dir, 'kmp.json');
        const found = await text(path, problems);
        if (found === undefined) continue;
        try {
          builds.push(await buildFromDescription(parseKmpBuild(found, path), dir, reader));
        } catch (error) {
          problems.push(problemOf(error, path));
        }
      }
  return builds;
}

/** A build's modules: as described in kmp.json, or read from the files when the description is short. */
export async function buildFromDescription(
  d: KmpBuildDescription,
  dir: string,
  reader: ModuleReader,
): Promise<KmpBuild> {
  const modules = await Promise.all(
    d.modules.map(async (m): Promise<Pick<ModuleInfo, ResolveFields>> => {
      if (m.exports !== undefined && m.imports !== undefined) {
        const name = m.name ?? moduleNameFromPath(m.file);
        return describedModule(name, m.file, m.exports, m.imports, m.vermagic);
      }
      const info = await reader(join(dir, m.file));
      return {
        name: info.name,
        path: m.file,
        vermagic: info.vermagic,
        versions: info.versions,
        undefinedSymbols: info.undefinedSymbols,
        exports: info.exports,
      };
    }),
  );
  return {
    package: d.package,
    version: d.version,
    flavor: d.flavor ?? flavorOf(d.kernel),
    builtFor: d.kernel,
    bootCritical: d.bootCritical,
    modules,
  };
}

/** The links klpm owns: weak-updates/ entries of every kernel that point into the store. */
export async function readLinks(root: string, problems: ReadProblem[] = []): Promise<KmpLink[]> {
  const links: KmpLink[] = [];
  const modulesDir = join(root, 'lib/modules');
  // only directories: a stray file in /lib/modules is not a kernel (readState names a registered one's)
  for (const kernel of await names(modulesDir, problems, 'directories')) {
    const weak = join(modulesDir, kernel, 'weak-updates');
    if (!(await isDirectoryOrAbsent(join(modulesDir, kernel)))) continue;
    for (const name of await names(weak, problems)) {
      if (name.startsWith(tempPrefix)) continue;
      const path = join(weak, name);
      try {
        if (!(await lstat(path)).isSymbolicLink()) continue;
        // `..` in the link is taken from where weak-updates really is (merged /usr: /usr/lib/modules)
        const from = join(root, realDirUnder(root, weakUpdatesDir(kernel)));
        const target = `/${relative(resolvePath(root), resolvePath(from, await readlink(path)))}`;
        if (buildOfTarget(target)) links.push({ kernel, name, target });
      } catch (error) {
        problems.push(problemOf(error, path));
      }
    }
  }
  return links;
}

/** A kernel's directory, or a symlink that leads to none (a loop, a dangling link): skipped. */
const isDirectoryOrAbsent = (path: string) =>
  stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
