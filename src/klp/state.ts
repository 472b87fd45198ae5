import type { KlpPatch } from './types.js';

/**
 * System-state compatibility, as klp_is_state_compatible in kernel/livepatch/state.c: a patch that
 * replaces another must handle every state the other one modified, and no patch may bring an older
 * version of a state than one already installed. Returns why not, or undefined when compatible.
 */
export function findStateConflict(
  patch: KlpPatch,
  oldPatch: KlpPatch,
  replacesOld: boolean,
): string | undefined {
  for (const oldState of oldPatch.states) {
    const state = patch.states.find((s) => s.id === oldState.id);
    if (state === undefined) {
      if (replacesOld) return `it replaces '${oldPatch.name}' but does not carry its state ${oldState.id}`;
      continue;
    }
    if (state.version < oldState.version) {
      return `its state ${state.id} version ${state.version} is older than version ${oldState.version} in '${oldPatch.name}'`;
    }
  }
  return undefined;
}

/** A state id both patches use (replace-set isolation), or undefined. */
export function findSharedStateId(patch: KlpPatch, other: KlpPatch): number | undefined {
  return patch.states.find((state) => other.states.some((s) => s.id === state.id))?.id;
}
