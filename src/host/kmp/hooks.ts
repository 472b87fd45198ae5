import { chmod, copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../../input/index.js';
import { mustStayInside } from '../containment.js';

/**
 * The kernel hooks klpm ships under packaging/kmp/ and where `klpm kmp install-hooks` puts them
 * (docs/kmp-packages.md). The rpm file triggers are not files on disk: they belong to an rpm
 * package, so they ship as a spec snippet (packaging/kmp/rpm/kernel-triggers.spec).
 */
export const kernelHooks = [
  { from: 'debian/postinst.d/50-klpm', to: '/etc/kernel/postinst.d/50-klpm' },
  { from: 'debian/postrm.d/50-klpm', to: '/etc/kernel/postrm.d/50-klpm' },
  { from: 'kernel-install/40-klpm.install', to: '/usr/lib/kernel/install.d/40-klpm.install' },
] as const;

export interface InstalledHook {
  readonly path: string;
  /** false: the same file was there already */
  readonly changed: boolean;
}

/**
 * Copies each hook from `source` (packaging/kmp) to its place under `root`, executable, through a
 * temporary name renamed over the old one, so a package manager running a hook meanwhile sees the
 * old file or the new one. Idempotent: a hook already in place is left as it is.
 */
export async function installKernelHooks(root: string, source: string): Promise<InstalledHook[]> {
  const installed: InstalledHook[] = [];
  for (const hook of kernelHooks) {
    const from = join(source, hook.from);
    const text = await readFile(from).catch(() => {
      throw new InputError("hook missing from klpm's packaging directory (give --from)", from);
    });
    const target = await mustStayInside(root, join(root, hook.to), '--root', hook.to);
    const old = await readFile(target).catch(() => undefined);
    if (old?.equals(text)) {
      installed.push({ path: hook.to, changed: false });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.klpm-new`;
    await copyFile(from, temp);
    await chmod(temp, 0o755);
    await rename(temp, target);
    installed.push({ path: hook.to, changed: true });
  }
  return installed;
}
