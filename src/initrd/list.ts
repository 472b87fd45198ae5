import { isModuleFile, moduleNameFromPath } from '../elf/index.js';

/**
 * An initrd module list: one module per line, as a name (`nvme`, `dm-mod`) or a path
 * (`usr/lib/modules/<K>/kernel/drivers/nvme/host/nvme.ko.xz`, what lsinitramfs and lsinitrd print);
 * names take the kernel's form (`-` becomes `_`). Blank lines, `#` comments and lines that name no
 * module (other files of the initrd) are skipped, so a whole lsinitramfs listing can be given.
 */
export function parseInitrdList(text: string, release: string): string[] {
  const names = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.includes('/')) {
      if (!isModuleFile(line) || !line.includes(`/${release}/`)) continue;
    } else if (!/^[A-Za-z0-9_-]+(\.ko(\.(gz|xz|zst))?)?$/.test(line)) continue;
    names.add(moduleNameFromPath(line));
  }
  return [...names].sort();
}
