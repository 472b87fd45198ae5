import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../input/index.js';

/** More entries than a module tree holds (a distribution kernel has about 6,000 modules). */
export const MAX_WALK_ENTRIES = 1_000_000;
/** Deeper than any module tree (kernel/drivers/net/ethernet/vendor/chip/... is about 8). */
export const MAX_WALK_DEPTH = 40;

/** The devices of /proc and /sys on this machine: a tree that reaches them is not a module tree. */
const pseudoDevices = (() => {
  const devices = new Set<number>();
  // in a chroot without /proc or /sys mounted, they are plain directories of the root's own file
  // system: skipping that device would skip every module tree
  const root = statSync('/', { throwIfNoEntry: false })?.dev;
  for (const dir of ['/proc', '/sys']) {
    const info = statSync(dir, { throwIfNoEntry: false });
    if (info?.isDirectory() && info.dev !== root) devices.add(info.dev);
  }
  return devices;
})();

/**
 * Every entry under `dir` that is not a directory, as the Dirents readdir gives (their
 * parentPath is set), without recursion: a work list, at most MAX_WALK_ENTRIES entries and
 * MAX_WALK_DEPTH levels. A symlink to a directory is not followed and a directory already seen
 * (a bind mount of itself) is not entered twice, so there is no loop; /proc and /sys (by device)
 * are not entered. A tree beyond the bounds is bad input naming `dir`.
 */
export function walkFiles(dir: string): Dirent[] {
  const out: Dirent[] = [];
  const seen = new Set<string>();
  const work: Array<{ path: string; depth: number }> = [{ path: dir, depth: 0 }];
  let count = 0;
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    const info = statSync(next.path);
    const key = `${info.dev}:${info.ino}`;
    if (seen.has(key) || pseudoDevices.has(info.dev)) continue;
    seen.add(key);
    for (const entry of readdirSync(next.path, { withFileTypes: true })) {
      if (++count > MAX_WALK_ENTRIES)
        throw new InputError(`more than ${MAX_WALK_ENTRIES} entries: not a module tree`, dir);
      if (!entry.isDirectory()) {
        out.push(entry);
        continue;
      }
      if (next.depth + 1 > MAX_WALK_DEPTH)
        throw new InputError(`deeper than ${MAX_WALK_DEPTH} directories: not a module tree`, dir);
      work.push({ path: join(next.path, entry.name), depth: next.depth + 1 });
    }
  }
  return out;
}
