// The generated fleet of the fleet benchmarks: 100,000 hosts against a repository of 500 updates
// publishing 20,000 livepatches for 2,000 base builds, the same for every run (seeded).
import { seededRandom } from './seeded-random.js';

export const HOSTS = 100_000;
export const BASES = 2_000;
export const UPDATES = 500;
const PER_UPDATE = 40; // 500 x 40 = 20,000 livepatch entries

/** The repository's updates (as klpm's JSON index writes them) and the hosts (as hosts.jsonl lines). */
export function generateFleet() {
  const random = seededRandom(3);
  const hex = (n) => n.toString(16).padStart(8, '0').repeat(5);
  // base build b is released with update floor(b / 4); each update carries a livepatch for the 40 newest
  // bases, so a base is covered for ten updates and then reaches its end of life
  const baseOf = (b) => ({ id: hex(0x10000 + b), version: `5.10.0-100.${b}` });
  const updates = [];
  for (let u = 0; u < UPDATES; u++) {
    const newest = Math.min(BASES - 1, u * 4 + 3);
    const livepatches = [];
    for (let b = newest; b > newest - PER_UPDATE; b--) {
      // the first updates wrap round to the last bases, so every update carries 40 livepatches
      const base = baseOf(((b % BASES) + BASES) % BASES);
      livepatches.push({
        component: 'kernel',
        baseBuildId: base.id,
        base: base.version,
        // every livepatch of an update brings its base to the kernel version of that update
        to: `5.10.0-200.${u + 1}`,
        replaceSet: 0,
        ...(random.int(10) === 0 ? { expires: '2026-01-20' } : {}),
      });
    }
    const day = String(1 + (u % 28)).padStart(2, '0');
    updates.push({
      id: `UPD-${u}`,
      issued: `${2000 + Math.floor(u / 12)}-${String(1 + (u % 12)).padStart(2, '0')}-${day}`,
      type: 'security',
      guidance: { mandatory: [], recommended: ['RebootHost'], full: ['RebootHost'], livepatch: [] },
      livepatches,
    });
  }

  const hosts = [];
  for (let h = 0; h < HOSTS; h++) {
    // most hosts run a recent base; some an old one; a few a build the repository never saw
    const r = random.int(100);
    const b = r < 60 ? BASES - 1 - random.int(60) : random.int(BASES);
    const buildId = r === 99 ? hex(0x900000 + h) : baseOf(b).id;
    const applied = random.int(2) === 0 ? undefined : `5.10.0-200.${1 + Math.floor(b / 4) + random.int(8)}`;
    hosts.push({
      id: `host-${h}`,
      buildIds: { kernel: buildId },
      applied: applied ? { kernel: applied } : {},
      replaceSet: 0,
    });
  }
  return { updates, hosts };
}
