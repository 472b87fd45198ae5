import { droppedFuncs } from './funcs.js';
import { predictChange, versionOf } from './prediction.js';
import { RULES } from './rules.js';
import type { Finding, LintInput, LintOptions } from './types.js';

/**
 * A `--previous` newer than NEW: going back is the planner's downgrade (disable the newer build,
 * wait until the kernel freed it, unload it, load NEW; docs/klp-semantics.md rule 27), because a
 * replace would lower state versions. NEW's callbacks then run on a system the newer build changed:
 * every state it has that NEW lacks, or has at a higher version, is one NEW's callbacks do not know
 * (Documentation/livepatch/system-state.rst), and only the newer build's own unpatch callbacks can
 * undo it.
 */
export function downgradeFindings(options: LintOptions, newer: LintInput): Finding[] {
  const { next } = options;
  const prediction = predictChange(options.kernel, options.kernelRelease, next, [...options.others, newer]);
  const steps = prediction.steps.map((s) =>
    s.op === 'wait-removed' ? `wait until /sys/kernel/livepatch/${s.patch} is gone` : `${s.op} ${s.patch}`,
  );
  const reverted = droppedFuncs(newer.manifest, next.manifest).map((f) => f.key);
  const findings: Finding[] = [
    {
      rule: 'downgrade',
      source: RULES.downgrade.source,
      severity: prediction.kind === 'refused' ? 'error' : 'warning',
      file: next.file,
      other: newer.file,
      steps: prediction.steps,
      log: prediction.log,
      message:
        prediction.kind === 'refused'
          ? `going back from '${newer.manifest.name}' to '${next.manifest.name}' is refused: ${prediction.reason}`
          : `'${newer.manifest.name}' ${versionOf(newer)} is newer than '${next.manifest.name}' ${versionOf(next)}: going back is ${steps.join(', ')}${
              reverted.length > 0 ? `; the original code runs again in ${reverted.join(', ')}` : ''
            }`,
    },
  ];
  for (const state of newer.manifest.states) {
    const known = next.manifest.states.find((s) => s.id === state.id);
    if (known !== undefined && known.version >= state.version) continue;
    findings.push({
      rule: 'downgrade-states',
      ...RULES['downgrade-states'],
      file: next.file,
      other: newer.file,
      state: state.id,
      message: `state ${state.id} version ${state.version} of '${newer.manifest.name}' is ${
        known === undefined ? 'unknown to' : `newer than version ${known.version} in`
      } '${next.manifest.name}': its callbacks cannot take it over or undo it, so '${newer.manifest.name}''s own pre_unpatch/post_unpatch must restore it when it is disabled`,
    });
  }
  return findings;
}
