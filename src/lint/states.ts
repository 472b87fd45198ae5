import type { KernelKind } from '../klp/index.js';
import { RULES } from './rules.js';
import type { Finding, LintInput } from './types.js';

/**
 * klp_is_patch_compatible (kernel/livepatch/state.c): a replacing patch must carry every state of
 * what it replaces (klp_is_state_compatible: a missing state is refused when `replace` is set), and
 * no patch may bring a lower version of a state than a listed patch has.
 */
export function stateFindings(next: LintInput, previous: LintInput, kind: KernelKind): Finding[] {
  const findings: Finding[] = [];
  // on a replace-bool kernel a build with replace=0 is stacked, then the old one disabled (src/plan)
  const stacked = kind === 'replace-bool' && !next.manifest.replace;
  for (const old of previous.manifest.states) {
    const state = next.manifest.states.find((s) => s.id === old.id);
    const base = { file: next.file, other: previous.file, state: old.id };
    if (state === undefined) {
      findings.push({
        rule: 'states-missing',
        ...RULES['states-missing'],
        ...base,
        message: stacked
          ? `state ${old.id} (version ${old.version} in '${previous.manifest.name}') is missing from '${next.manifest.name}': as a replace (replace=1) the kernel refuses it; stacked with replace=0 it loads, and disabling '${previous.manifest.name}' then undoes state ${old.id} under the new code`
          : `state ${old.id} (version ${old.version} in '${previous.manifest.name}') is missing from '${next.manifest.name}': the kernel refuses the replace (klp_is_patch_compatible), the load fails with EINVAL`,
      });
    } else if (state.version < old.version) {
      findings.push({
        rule: 'states-lower',
        ...RULES['states-lower'],
        ...base,
        message: `state ${old.id} goes from version ${old.version} in '${previous.manifest.name}' down to ${state.version} in '${next.manifest.name}': the kernel refuses the load while '${previous.manifest.name}' is enabled (klp_is_patch_compatible), EINVAL`,
      });
    }
  }
  return findings;
}
