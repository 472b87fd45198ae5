import { stat } from 'node:fs/promises';
import { join } from 'node:path';

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
