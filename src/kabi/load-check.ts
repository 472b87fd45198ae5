import type { ModuleInfo } from '../elf/index.js';
import type { RejectReason } from './resolve-types.js';

/**
 * Whether a kernel was built with CONFIG_MODVERSIONS: its vermagic then carries the word
 * `modversions` (MODULE_VERMAGIC_MODVERSIONS in include/linux/vermagic.h).
 */
export function hasModversions(vermagic: string): boolean {
  return vermagic.split(' ').includes('modversions');
}

/**
 * same_magic in kernel/module/version.c: with CRCs on both sides (the kernel has modversions and the
 * module a `__versions` section), the release (everything up to the first space) is not compared,
 * only the flags after it (SMP, preempt, mod_unload, modversions, the arch's); without them the whole
 * string must be equal. Without CONFIG_MODVERSIONS the kernel always compares the whole string.
 */
export function isSameMagic(moduleMagic: string, kernelMagic: string, hasCrcs: boolean): boolean {
  if (!hasCrcs) return moduleMagic === kernelMagic;
  const flags = (magic: string) => magic.slice(Math.max(0, magic.indexOf(' ')));
  return flags(moduleMagic) === flags(kernelMagic);
}

/**
 * What the module loader refuses before it looks at a single symbol, for one module of a build on a
 * kernel (docs/kmp.md, rules K-VERMAGIC, K-NOVERSIONS, K-VERMAGIC-UNKNOWN):
 * - a module without a `__versions` section on a kernel with modversions: check_modstruct_version
 *   asks check_version for `module_layout`, which finds no versions and calls try_to_force_load,
 *   which fails without CONFIG_MODULE_FORCE_LOAD (Debian's kernels do not set it);
 * - a vermagic that same_magic rejects (check_modinfo in kernel/module/main.c: "version magic ...
 *   should be ...").
 * A module whose vermagic is not known (a kmp.json description that gives none) is not checked. A
 * kernel whose vermagic is not known (registered before klpm read it) cannot be checked: a
 * boot-critical build for another kernel is then refused rather than risked.
 */
export function loadRefusal(
  module: Pick<ModuleInfo, 'name' | 'vermagic' | 'versions'>,
  kernelVermagic: string | undefined,
  guard: { readonly bootCritical: boolean; readonly own: boolean },
): RejectReason | undefined {
  if (module.vermagic === undefined) return undefined;
  if (kernelVermagic === undefined)
    return guard.bootCritical && !guard.own
      ? { kind: 'kernel-vermagic-unknown', module: module.name }
      : undefined;
  const modversions = hasModversions(kernelVermagic);
  const hasCrcs = module.versions.length > 0;
  if (modversions && !hasCrcs) return { kind: 'no-versions', module: module.name };
  if (!isSameMagic(module.vermagic, kernelVermagic, modversions && hasCrcs))
    return { kind: 'vermagic', module: module.name, vermagic: module.vermagic, kernelVermagic };
  return undefined;
}
