import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../input/index.js';
import type { PlanStep } from '../../plan/index.js';
import { staysInside } from '../containment.js';
import { readModuleFile } from '../modules/index.js';

/** A livepatch file klpm will not load: it is not what the repository promised, or not for this kernel. */
export class PatchFileError extends Error {
  override readonly name = 'PatchFileError';
}

/**
 * Checks a livepatch module file before `insmod`: its sha256 must be the one the repository index
 * gives (no sha256, no load), it must be a livepatch module (modinfo `livepatch=Y`, which
 * MODULE_INFO(livepatch, "Y") sets and kernel/module/livepatch.c checks), its modinfo name must be the
 * patch the plan loads, and its `vermagic` must begin with the running release. The kernel itself
 * compares vermagic without the release when the module has CRCs (same_magic in
 * kernel/module/version.c), but a livepatch is built for one kernel build, so klpm holds it to the
 * exact release. The file must lie inside the repository's `directory`, as written and after symlinks.
 */
export async function verifyPatchFile(
  step: Extract<PlanStep, { op: 'load' }>,
  release: string | undefined,
  directory: string | undefined,
): Promise<void> {
  const file = step.file;
  if (file === undefined) throw new PatchFileError(`the repository gives no file for patch '${step.patch}'`);
  // checked when the repository was read, and again here, where it is read: a symlink may have moved
  if (directory !== undefined && !(await staysInside(directory, file)))
    throw new PatchFileError(
      `${file}: the file of patch '${step.patch}' lies outside the repository directory ${directory}`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PatchFileError(
      `${file}: cannot read the file of patch '${step.patch}' (${code === 'ENOENT' ? 'no such file' : code})`,
    );
  }
  if (step.sha256 === undefined)
    throw new PatchFileError(
      `${file}: the repository gives no sha256 for patch '${step.patch}': klpm loads only files it can verify`,
    );
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== step.sha256)
    throw new PatchFileError(
      `${file}: sha256 is ${actual}, the repository promises ${step.sha256}: refusing to load patch '${step.patch}'`,
    );
  let info: Awaited<ReturnType<typeof readModuleFile>>;
  try {
    info = await readModuleFile(file);
  } catch (error) {
    if (error instanceof InputError) throw new PatchFileError(`${error.message}: not a kernel module`);
    throw error;
  }
  if (!info.livepatch)
    throw new PatchFileError(`${file}: modinfo has no livepatch=Y: it is not a livepatch module`);
  if (info.name !== step.patch)
    throw new PatchFileError(
      `${file}: the module is named '${info.name}', the repository calls the patch '${step.patch}'`,
    );
  const built = info.vermagic?.split(' ')[0];
  if (release === undefined || built !== release)
    throw new PatchFileError(
      `${file}: vermagic '${info.vermagic ?? ''}' is for kernel ${built ?? '(none)'}, the running kernel is ${release ?? '(unknown)'}`,
    );
}
