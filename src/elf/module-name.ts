/**
 * The one home of the rules for kernel module file names and module names: every reader (module
 * trees, initramfs images and lists, kmp.json, repository entries) uses these.
 */

/** A module file: `.ko`, or compressed as kmod reads it (libkmod-file.c: gzip, xz, zstd). */
export const MODULE_FILE = /\.ko(\.(gz|xz|zst))?$/;

/** Whether a path names a module file. */
export function isModuleFile(path: string): boolean {
  return MODULE_FILE.test(path);
}

/**
 * The kernel's form of a module name: `-` becomes `_` (kbuild's modname; kmod's
 * modname_normalize), so `dm-mod` and `dm_mod` are one module.
 */
export function kernelModuleName(name: string): string {
  return name.replaceAll('-', '_');
}

/**
 * The module name a file path implies when nothing else names it: its basename without the module
 * suffix, in the kernel's form (`drivers/md/dm-mod.ko.xz` becomes `dm_mod`).
 */
export function moduleNameFromPath(path: string): string {
  return kernelModuleName(path.slice(path.lastIndexOf('/') + 1).replace(MODULE_FILE, ''));
}
