import { funcKeyOf } from './patch.js';
import { findSharedStateId, findStateConflict } from './state.js';
import type { KernelKind, KlpPatch, KlpSystem } from './types.js';

/**
 * Which listed patches an incoming patch replaces, and which it must stay apart from, per kernel kind.
 *
 * - replace-bool (upstream since 5.1, kernel/livepatch/core.c klp_add_nops and
 *   klp_unpatch_replaced_patches): `replace` replaces every listed patch, otherwise none.
 * - replace-set (the replace_set series on the live-patching list, 2026): the patches of the same set.
 * - provides (its successor series): the patches whose provides id is the incoming patch's own or is
 *   listed in its obsoletes. The relation is one way: a patch never replaces one that obsoletes it.
 */
export function isReplacedBy(kind: KernelKind, incoming: KlpPatch, listed: KlpPatch): boolean {
  if (incoming === listed) return false;
  switch (kind) {
    case 'replace-bool':
      return incoming.replace;
    case 'replace-set':
      return listed.replaceSet === incoming.replaceSet;
    case 'provides':
      return listed.replaceSet === incoming.replaceSet || incoming.obsoletes.includes(listed.replaceSet);
  }
}

/** The listed patches `incoming` replaces, in list order. */
export function replacedPatches(sys: KlpSystem, incoming: KlpPatch): KlpPatch[] {
  return sys.patches.filter((listed) => isReplacedBy(sys.kind, incoming, listed));
}

function staticFuncKeys(patch: KlpPatch): Set<string> {
  const keys = new Set<string>();
  for (const obj of patch.objects) {
    for (const func of obj.funcs) if (!func.nop) keys.add(funcKeyOf(obj, func));
  }
  return keys;
}

/**
 * Why `incoming` may not be enabled next to the listed patches, or undefined when it may.
 * klp_is_patch_compatible (state.c) checks states against every listed patch; the replace-set and
 * provides kinds add isolation: a patch it does not replace may share no function and no state id.
 */
export function findCompatibilityProblem(sys: KlpSystem, incoming: KlpPatch): string | undefined {
  const isolated = sys.kind !== 'replace-bool';
  const funcs = isolated ? staticFuncKeys(incoming) : undefined;
  for (const listed of sys.patches) {
    const replaces = isReplacedBy(sys.kind, incoming, listed);
    if (!isolated || replaces) {
      const conflict = findStateConflict(incoming, listed, replaces);
      if (conflict) return conflict;
      continue;
    }
    const sharedState = findSharedStateId(incoming, listed);
    if (sharedState !== undefined) {
      return `state id ${sharedState} is also used by '${listed.name}' (replace set ${listed.replaceSet}), which it does not replace`;
    }
    for (const key of staticFuncKeys(listed)) {
      if (funcs!.has(key)) {
        return `func '${key}' is also patched by '${listed.name}' (replace set ${listed.replaceSet}), which it does not replace`;
      }
    }
  }
  return undefined;
}
