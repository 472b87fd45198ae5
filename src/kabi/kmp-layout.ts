/**
 * Where klpm keeps kernel module packages, relative to the root (docs/kmp.md, "Layout"). Each build
 * has its own directory named after package, version and the kernel it was built for, so "KMP X
 * built for kernel Y" is visible with ls; each kernel's weak-updates/ holds links into them.
 */

/** The directory holding every KMP build. */
export const kmpStoreDir = '/usr/lib/klpm/kmp';

/** The directory of one build: `/usr/lib/klpm/kmp/<package>/<version>/<built-for kernel>`. */
export function kmpBuildDir(pkg: string, version: string, builtFor: string): string {
  return `${kmpStoreDir}/${pkg}/${version}/${builtFor}`;
}

/** A kernel's weak-updates directory: `/lib/modules/<kernel>/weak-updates`. */
export function weakUpdatesDir(kernel: string): string {
  return `/lib/modules/${kernel}/weak-updates`;
}

/** The build a link target points into, or undefined when the target is not in the store. */
export function buildOfTarget(
  target: string,
): { package: string; version: string; builtFor: string; file: string } | undefined {
  if (!target.startsWith(`${kmpStoreDir}/`)) return undefined;
  const parts = target.slice(kmpStoreDir.length + 1).split('/');
  if (parts.length < 4 || parts.some((part) => part === '' || part === '..')) return undefined;
  const [pkg, version, builtFor, ...rest] = parts as [string, string, string, ...string[]];
  return { package: pkg, version, builtFor, file: rest.join('/') };
}

/** The basename of a module file: the name of its link in weak-updates/. */
export function linkName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}
