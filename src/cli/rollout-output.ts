import type { RolloutView } from '../fleet/index.js';

/** A rollout as `klpm fleet rollout status` prints it: state and reason, then one line per wave. */
export function renderRollout(r: RolloutView): string {
  const out = [
    `rollout ${r.id}: ${r.state}${r.reason === '' ? '' : ` (${r.reason})`}`,
    `  ${r.component} replace set ${r.replaceSet} to ${r.to}${r.update === null ? '' : ` (update ${r.update})`}, started ${r.createdAt} by ${r.createdBy}`,
  ];
  if (r.outOfScope.length > 0)
    out.push(`  out of scope: ${r.outOfScope.length} hosts (their build has no livepatch ${r.to})`);
  for (const w of r.waves) {
    out.push(
      `  wave ${w.name}: ${w.state}, ${w.hosts} hosts, ${w.applied} applied, ${w.failed} failed, ${w.pending} pending (budget ${w.failureBudget}, soak ${w.soak}, deadline ${w.deadline})`,
    );
    for (const f of w.failures)
      out.push(`    failed ${f.host}: ${f.reason}${f.acknowledged ? ' (acknowledged)' : ''}`);
  }
  return `${out.join('\n')}\n`;
}
