import { postPatchCallback, postUnpatchCallback } from './callbacks.js';
import type { Kernel } from './kernel.js';
import { funcKeyOf, implToCheck, unpatchObject } from './patch.js';
import { replacedPatches } from './replace-set.js';
import { findPatch, isObjectLoaded } from './system.js';
import type { KlpPatch, KlpTask, TargetState } from './types.js';

/**
 * Per-task switching, after kernel/livepatch/transition.c. One transition at a time: the transition
 * patch and its target state live in `sys.transition`. Tasks switch one by one; a task sleeping in
 * code the transition changes keeps it from completing.
 */

const opposite = (state: TargetState): TargetState => (state === 'patched' ? 'unpatched' : 'patched');

function transitionPatch(k: Kernel): KlpPatch {
  const patch = k.sys.transition && findPatch(k.sys, k.sys.transition.patch);
  if (!patch) throw new Error('klp: no transition patch'); // WARN_ON: callers check first
  return patch;
}

/** klp_init_transition: every task starts in the state opposite to the target. */
export function initTransition(k: Kernel, patch: KlpPatch, targetState: TargetState): void {
  k.sys.transition = { patch: patch.name, targetState, signaled: false };
  k.events.push({ type: 'transition', patch: patch.name, phase: 'initializing', targetState });
  for (const task of k.sys.tasks.values()) task.patchState = opposite(targetState);
}

/** klp_start_transition: from here tasks switch as they can. */
export function startTransition(k: Kernel): void {
  const { patch, targetState } = k.sys.transition!;
  k.sys.transition!.signaled = false; // klp_signals_cnt = 0
  k.events.push({ type: 'transition', patch, phase: 'starting', targetState });
}

/** klp_check_stack: a task may switch when no frame of its stack is code the transition changes. */
function isTaskBlocked(k: Kernel, patch: KlpPatch, task: KlpTask): boolean {
  const frame = task.frame;
  if (!frame) return false;
  for (const obj of patch.objects) {
    if (!obj.patched) continue;
    for (const func of obj.funcs) {
      if (funcKeyOf(obj, func) === frame.funcKey && implToCheck(k.sys, patch, obj, func) === frame.impl)
        return true;
    }
  }
  return false;
}

/** Tasks that still keep the transition from completing (they sleep in code it changes). */
export function blockingTasks(k: Kernel): KlpTask[] {
  const t = k.sys.transition;
  if (!t) return [];
  const patch = transitionPatch(k);
  return [...k.sys.tasks.values()].filter(
    (task) => task.patchState !== t.targetState && isTaskBlocked(k, patch, task),
  );
}

/**
 * klp_try_complete_transition: switches every task that can switch; when all have, completes the
 * transition and frees what it leaves behind. Returns whether it completed.
 */
export function tryCompleteTransition(k: Kernel): boolean {
  const t = k.sys.transition;
  if (!t) return false;
  const patch = transitionPatch(k);
  let complete = true;
  for (const task of k.sys.tasks.values()) {
    if (task.patchState === t.targetState) continue;
    if (isTaskBlocked(k, patch, task)) complete = false;
    else task.patchState = t.targetState;
  }
  if (!complete) return false;
  const replaced = t.targetState === 'patched' ? replacedPatches(k.sys, patch) : [];
  completeTransition(k, patch, replaced);
  // As klp_try_complete_transition: a disabled patch is freed; a replacing one frees what it replaced.
  if (!patch.enabled) freePatch(k, patch);
  else for (const old of replaced) freePatch(k, old);
  return true;
}

/** klp_free_patch_start + klp_free_patch_finish: off the list, sysfs gone, module reference dropped unless forced. */
function freePatch(k: Kernel, patch: KlpPatch): void {
  k.sys.patches = k.sys.patches.filter((listed) => listed !== patch);
  const mod = k.sys.modules.get(patch.name);
  if (mod && patch.forced) mod.pinned = true;
}

/**
 * klp_complete_transition: a patching transition drops the replaced patches and the NOPs; an
 * unpatching one takes the patch's funcs off the stacks. Then the post callbacks of loaded objects.
 */
function completeTransition(k: Kernel, patch: KlpPatch, replaced: ReadonlyArray<KlpPatch>): void {
  const { targetState } = k.sys.transition!;
  k.events.push({ type: 'transition', patch: patch.name, phase: 'completing', targetState });
  if (targetState === 'patched') {
    for (const old of replaced) {
      old.enabled = false;
      for (const obj of old.objects) unpatchObject(k.sys, old, obj);
    }
    discardNops(k, patch);
  } else {
    for (const obj of patch.objects) unpatchObject(k.sys, patch, obj);
  }
  for (const obj of patch.objects) {
    if (!isObjectLoaded(k.sys, obj)) continue;
    if (targetState === 'patched') postPatchCallback(k, patch, obj, 'live');
    else postUnpatchCallback(k, patch, obj, 'live');
  }
  k.events.push({ type: 'transition', patch: patch.name, phase: 'complete', targetState });
  k.sys.transition = undefined;
  for (const task of k.sys.tasks.values()) task.patchState = 'undefined';
}

/** klp_discard_nops: once every task runs the new patch, its NOPs and the objects made for them go. */
function discardNops(k: Kernel, patch: KlpPatch): void {
  for (const obj of patch.objects) {
    if (!obj.funcs.some((func) => func.nop)) continue;
    unpatchObject(k.sys, patch, obj, true);
    obj.funcs = obj.funcs.filter((func) => !func.nop);
  }
  patch.objects = patch.objects.filter((obj) => !obj.dynamic);
}

/** klp_cancel_transition: a failed enable unpatches what it had prepared. */
export function cancelTransition(k: Kernel, patch: KlpPatch): void {
  k.events.push({ type: 'canceling', patch: patch.name });
  k.sys.transition!.targetState = 'unpatched';
  completeTransition(k, patch, []);
}

/** klp_reverse_transition: writing the opposite value to `enabled` turns the transition around. */
export function reverseTransition(k: Kernel): void {
  const t = k.sys.transition!;
  const patch = transitionPatch(k);
  k.events.push({ type: 'reversing', patch: patch.name, from: t.targetState });
  patch.enabled = !patch.enabled;
  t.targetState = opposite(t.targetState);
  startTransition(k);
}

/**
 * klp_force_transition: every task is switched without checking its stack. The patches being
 * removed (the transition patch when unpatching, the replaced ones when patching) are marked forced,
 * so their modules can never be removed.
 */
export function forceTransition(k: Kernel): void {
  const t = k.sys.transition!;
  const patch = transitionPatch(k);
  k.events.push({ type: 'forcing' });
  for (const task of k.sys.tasks.values()) task.patchState = t.targetState;
  if (t.targetState === 'unpatched') patch.forced = true;
  else for (const old of replacedPatches(k.sys, patch)) old.forced = true;
}

/**
 * klp_send_signals: since 5.1 there is no `signal` attribute; the periodic retry of
 * klp_try_complete_transition sends fake signals every 15 tries and says so once per transition
 * start. A fake signal makes a task in an interruptible sleep leave the function; a kernel thread
 * sleeping uninterruptibly stays.
 */
export function signalTasks(k: Kernel): void {
  const t = k.sys.transition!;
  if (!t.signaled) k.events.push({ type: 'signaling' });
  t.signaled = true;
  for (const task of k.sys.tasks.values()) {
    if (task.patchState !== t.targetState && task.frame?.interruptible) task.frame = undefined;
  }
}
