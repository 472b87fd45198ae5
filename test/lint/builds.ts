import { type PatchManifestInput, patchManifestSchema } from '../../src/klp/index.js';
import type { LintInput, LintOptions } from '../../src/lint/index.js';

/** A build as lint takes it, its manifest through the real schema (defaults applied). */
export function build(
  manifest: PatchManifestInput,
  extra: Omit<LintInput, 'manifest' | 'file'> = {},
): LintInput {
  return { file: `${manifest.name}.json`, manifest: patchManifestSchema.parse(manifest), ...extra };
}

/** A cumulative vmlinux build: every fix in `funcs`, replace=1. */
export function cumulative(
  name: string,
  version: string,
  funcs: ReadonlyArray<string>,
  more: Partial<PatchManifestInput> = {},
): LintInput {
  return build({
    name,
    version,
    replace: true,
    objects: [{ name: 'vmlinux', funcs: [...funcs] }],
    ...more,
  });
}

export function options(next: LintInput, more: Partial<LintOptions> = {}): LintOptions {
  return { next, previous: [], others: [], kernel: 'replace-bool', ...more };
}
