import type { ModuleState } from './events.js';
import type { Kernel } from './kernel.js';
import type { CallbackName } from './manifest.js';
import type { KlpObject, KlpPatch } from './types.js';

/**
 * The callback runners of kernel/livepatch/core.h: pre_patch arms post_unpatch only when it succeeds,
 * post_unpatch runs at most once per successful pre_patch.
 */

function emit(k: Kernel, patch: KlpPatch, obj: KlpObject, callback: CallbackName, state: ModuleState): void {
  if (!obj.callbacks.includes(callback)) return;
  k.events.push({ type: 'callback', patch: patch.name, callback, module: obj.name, moduleState: state });
}

/** klp_pre_patch_callback: returns the callback's value (the patch module's pre_patch_ret), 0 without one. */
export function prePatchCallback(k: Kernel, patch: KlpPatch, obj: KlpObject, state: ModuleState): number {
  let ret = 0;
  if (obj.callbacks.includes('pre_patch')) {
    emit(k, patch, obj, 'pre_patch', state);
    ret = k.sys.modules.get(patch.name)?.prePatchRet ?? 0;
  }
  obj.postUnpatchEnabled = ret === 0;
  return ret;
}

export function postPatchCallback(k: Kernel, patch: KlpPatch, obj: KlpObject, state: ModuleState): void {
  emit(k, patch, obj, 'post_patch', state);
}

export function preUnpatchCallback(k: Kernel, patch: KlpPatch, obj: KlpObject, state: ModuleState): void {
  emit(k, patch, obj, 'pre_unpatch', state);
}

export function postUnpatchCallback(k: Kernel, patch: KlpPatch, obj: KlpObject, state: ModuleState): void {
  if (obj.postUnpatchEnabled) emit(k, patch, obj, 'post_unpatch', state);
  obj.postUnpatchEnabled = false;
}
