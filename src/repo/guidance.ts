import type { Guidance, Update } from './types.js';
import { GUIDANCES } from './types.js';

/** Reads one guidance value; unknown values read as RebootHost, the safe choice (as xapi does). */
export function readGuidance(value: string): Guidance {
  return (GUIDANCES as ReadonlyArray<string>).includes(value) ? (value as Guidance) : 'RebootHost';
}

/** Guidance of the updates a host rolls up, after xapi's merging and pruning. */
export interface PrunedGuidance {
  readonly mandatory: ReadonlyArray<Guidance>;
  readonly recommended: ReadonlyArray<Guidance>;
  readonly full: ReadonlyArray<Guidance>;
}

// A higher guidance makes the lower ones pointless: a reboot also restarts the toolstack and device
// models, an evacuation restarts device models, a VM restart restarts its device model. As the
// precedence list of GuidanceSet.resort_guidances in xapi's ocaml/xapi/repository_helpers.ml.
const PRECEDENCES: ReadonlyArray<readonly [Guidance, ReadonlyArray<Guidance>]> = [
  ['RebootHost', ['RestartToolstack', 'EvacuateHost', 'RestartDeviceModel']],
  ['EvacuateHost', ['RestartDeviceModel']],
  ['RestartVM', ['RestartDeviceModel']],
];

function prune(set: Set<Guidance>): Set<Guidance> {
  const out = new Set(set);
  for (const [higher, lowers] of PRECEDENCES)
    if (out.has(higher)) for (const lower of lowers) out.delete(lower);
  return out;
}

const ordered = (set: Set<Guidance>): Guidance[] => GUIDANCES.filter((g) => set.has(g));

/**
 * Merges the guidance of the rolled-up updates. For an update that contributes the livepatch being
 * applied, its `livepatch` guidance stands in for its `recommended` guidance (the livepatch makes the
 * reboot unnecessary); recommended and full then drop what mandatory already asks for, as xapi's
 * consolidation of pending guidance in ocaml/xapi/repository_helpers.ml.
 */
export function mergeGuidance(
  updates: ReadonlyArray<Update>,
  livepatched: ReadonlySet<string>,
): PrunedGuidance {
  const mandatory = new Set<Guidance>();
  const recommended = new Set<Guidance>();
  const full = new Set<Guidance>();
  for (const update of updates) {
    for (const g of update.guidance.mandatory) mandatory.add(g);
    const rec = livepatched.has(update.id) ? update.guidance.livepatch : update.guidance.recommended;
    for (const g of rec) recommended.add(g);
    for (const g of update.guidance.full) full.add(g);
  }
  const m = prune(mandatory);
  const r = prune(recommended);
  const f = prune(full);
  for (const g of m) {
    r.delete(g);
    f.delete(g);
  }
  return { mandatory: ordered(m), recommended: ordered(r), full: ordered(f) };
}
