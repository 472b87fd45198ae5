import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * Where a kernel's own files are, relative to the root, in the order tried: `/lib/modules/<K>` as
 * kmod has always read it, then `/usr/lib/modules/<K>`, where Debian's 7.x packages (linux-modules,
 * linux-base, linux-binary) put the modules, `config`, `System.map` and `vmlinuz` of a merged-/usr
 * system. On a live merged-/usr machine both are the same directory (/lib is a link to usr/lib); a
 * root that holds only the second (an unpacked package, a container image) is still read.
 */
export function moduleDirPlaces(release: string): string[] {
  return [`/lib/modules/${release}`, `/usr/lib/modules/${release}`];
}

/** The first of `moduleDirPlaces` under `root` that is a directory, else undefined. */
export async function findModuleDir(root: string, release: string): Promise<string | undefined> {
  for (const place of moduleDirPlaces(release)) {
    const dir = join(root, place);
    if ((await stat(dir).catch(() => undefined))?.isDirectory()) return dir;
  }
  return undefined;
}

/**
 * Where directory `dir` (an absolute path in the booted system's terms) really is under `root`,
 * in the same terms: on a merged-/usr system `/lib/modules/K/weak-updates` is
 * `/usr/lib/modules/K/weak-updates`, because /lib is a link to usr/lib. A relative link's `..`
 * steps are taken from the real directory (path resolution follows the link to /lib first), so a
 * link written in weak-updates must be relative to this one. When the directory is missing or its
 * real place lies outside the root (an absolute link that would leave --root), the path as given.
 */
export function realDirUnder(root: string, dir: string): string {
  try {
    const base = realpathSync(root);
    const real = relative(base, realpathSync(join(root, dir)));
    if (real === '..' || real.startsWith(`..${sep}`) || isAbsolute(real)) return dir;
    return `/${real.split(sep).join('/')}`;
  } catch {
    return dir;
  }
}
