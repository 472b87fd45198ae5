import type { KernelKind } from '../klp/index.js';
import { funcsOf } from './funcs.js';
import { RULES } from './rules.js';
import type { Finding, LintInput } from './types.js';

/**
 * NEW against a patch of another replace set. A replace-set or provides kernel refuses a patch that
 * shares a function or a state id with a patch it does not replace (the replace_set series,
 * docs/klp-semantics.md rule 26). A replace-bool kernel stacks them: per function the patch enabled
 * last wins (klp_patch_func pushes onto the func_stack), so which fix runs depends on load order; a
 * shared state is checked by version only (klp_is_state_compatible), so the one loaded second with
 * a lower version is refused.
 */
export function isolationFindings(next: LintInput, other: LintInput, kind: KernelKind): Finding[] {
  const refused = kind !== 'replace-bool';
  const severity = refused ? 'error' : 'warning';
  const findings: Finding[] = [];
  const theirs = new Set(funcsOf(other.manifest).map((f) => f.key));
  const set = (input: LintInput) => `'${input.manifest.name}' (replace set ${input.manifest.replaceSet})`;
  for (const func of funcsOf(next.manifest)) {
    if (!theirs.has(func.key)) continue;
    findings.push({
      rule: 'isolation-func',
      source: RULES['isolation-func'].source,
      severity,
      file: next.file,
      other: other.file,
      object: func.object,
      func: func.name,
      sympos: func.sympos,
      message: refused
        ? `func '${func.key}' is also patched by ${set(other)}: a ${kind} kernel refuses whichever of the two is loaded second (EINVAL)`
        : `func '${func.key}' is also patched by ${set(other)}: on a replace-bool kernel both stack, and the one loaded last wins, so which fix runs depends on load order`,
    });
  }
  for (const state of next.manifest.states) {
    const theirState = other.manifest.states.find((s) => s.id === state.id);
    if (theirState === undefined) continue;
    const lower = state.version < theirState.version;
    findings.push({
      rule: 'isolation-state',
      source: RULES['isolation-state'].source,
      severity: refused || lower ? 'error' : 'warning',
      file: next.file,
      other: other.file,
      state: state.id,
      message: refused
        ? `state ${state.id} is also used by ${set(other)}: a ${kind} kernel refuses whichever of the two is loaded second (EINVAL)`
        : lower
          ? `state ${state.id} is also used by ${set(other)} with version ${theirState.version}, above this build's ${state.version}: while that patch is enabled the kernel refuses this one (klp_is_patch_compatible)`
          : `state ${state.id} is also used by ${set(other)}: two sets change one system state, and whichever is disabled first undoes it under the other`,
    });
  }
  return findings;
}
