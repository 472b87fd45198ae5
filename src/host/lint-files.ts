import type { KernelKind } from '../klp/index.js';
import {
  type LintInput,
  type LintReport,
  lintRelease,
  parseManifestFile,
  parseSymbolTable,
} from '../lint/index.js';
import { readFileBytes, readFileText } from './files.js';
import { isModuleFile, livepatchModuleInput } from './livepatch-module-file.js';

export interface LintFiles {
  readonly next: string;
  readonly previous: ReadonlyArray<string>;
  readonly others: ReadonlyArray<string>;
  readonly kernel: KernelKind;
  readonly kernelRelease?: string | undefined;
  readonly symbols?: string | undefined;
}

/** A `.ko` or a manifest file (JSON or YAML), by its first bytes. */
async function readLintInput(file: string): Promise<LintInput> {
  const bytes = await readFileBytes(file);
  if (isModuleFile(bytes)) return livepatchModuleInput(file);
  return { file, manifest: parseManifestFile(bytes.toString('utf8'), file) };
}

/** Reads every build and the symbol dump `klpm lint` names, and runs the release checks on them. */
export async function lintFiles(files: LintFiles): Promise<LintReport> {
  const read = (list: ReadonlyArray<string>) => Promise.all(list.map(readLintInput));
  return lintRelease({
    next: await readLintInput(files.next),
    previous: await read(files.previous),
    others: await read(files.others),
    kernel: files.kernel,
    kernelRelease: files.kernelRelease,
    symbols:
      files.symbols === undefined
        ? undefined
        : parseSymbolTable(await readFileText(files.symbols), files.symbols),
  });
}
