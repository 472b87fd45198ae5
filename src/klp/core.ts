import { postPatchCallback, postUnpatchCallback, prePatchCallback, preUnpatchCallback } from './callbacks.js';
import { type Errno, errnoFromName, errnoFromNumber } from './errno.js';
import type { Kernel } from './kernel.js';
import type { PatchManifest } from './manifest.js';
import { funcKey, patchObject, resolveImpl, unpatchObject } from './patch.js';
import { findCompatibilityProblem, replacedPatches } from './replace-set.js';
import { findObject, findPatch, isObjectLoaded, objectLabel } from './system.js';
import {
  cancelTransition,
  forceTransition,
  initTransition,
  reverseTransition,
  signalTasks,
  startTransition,
  tryCompleteTransition,
} from './transition.js';
import type { KlpObject, KlpPatch } from './types.js';

/**
 * The patch lifecycle of kernel/livepatch/core.c and what the module loader does around it: loading
 * a livepatch module enables its patch (klp_enable_patch, called from the module's init since 5.1),
 * sysfs writes to `enabled`, `signal` and `force`, and ordinary modules coming and going.
 * Each function returns undefined on success or the errno the kernel answers.
 */

export type Outcome = Errno | undefined;

const fail = (name: Parameters<typeof errnoFromName>[0], why: string): Errno => ({
  ...errnoFromName(name),
  why,
});

/** Builds the kernel's struct klp_patch from a manifest; `vmlinux` becomes the NULL object name. */
export function patchFromManifest(manifest: PatchManifest): KlpPatch {
  return {
    name: manifest.name,
    replace: manifest.replace,
    replaceSet: manifest.replaceSet,
    obsoletes: manifest.obsoletes,
    states: manifest.states,
    enabled: false,
    forced: false,
    objects: manifest.objects.map(
      (obj): KlpObject => ({
        name: obj.name === 'vmlinux' ? undefined : obj.name,
        funcs: obj.funcs.map((func) => ({ oldName: func.name, oldSympos: func.sympos, nop: false })),
        callbacks: obj.callbacks,
        dynamic: false,
        patched: false,
        postUnpatchEnabled: false,
      }),
    ),
  };
}

/**
 * klp_add_nops: for every function a replaced patch changes and the new one does not, a NOP so the
 * original runs again. klp_find_func treats old_sympos 0 and 1 as one function (upstream 139560e8b973,
 * "livepatch: Match old_sympos 0 and 1 in klp_find_func()", in the stable kernels from 5.10 on).
 */
function addNops(patch: KlpPatch, replaced: ReadonlyArray<KlpPatch>): void {
  for (const old of replaced) {
    for (const oldObj of old.objects) {
      let obj = findObject(patch, oldObj.name);
      if (!obj) {
        obj = {
          name: oldObj.name,
          funcs: [],
          callbacks: [],
          dynamic: true,
          patched: false,
          postUnpatchEnabled: false,
        };
        patch.objects.push(obj);
      }
      for (const oldFunc of oldObj.funcs) {
        if (oldFunc.nop) continue;
        const exists = obj.funcs.some(
          (f) => f.oldName === oldFunc.oldName && (f.oldSympos || 1) === (oldFunc.oldSympos || 1),
        );
        if (!exists) obj.funcs.push({ oldName: oldFunc.oldName, oldSympos: oldFunc.oldSympos, nop: true });
      }
    }
  }
}

/** insmod of a livepatch module: the loader, then klp_enable_patch from the module's init. */
export function loadPatch(k: Kernel, manifest: PatchManifest, prePatchRet: number): Outcome {
  const { sys } = k;
  if (sys.modules.has(manifest.name))
    return fail('EEXIST', `a module named '${manifest.name}' is already loaded`);
  const patch = patchFromManifest(manifest);
  // klp_is_patch_compatible runs before anything else, even while another transition runs.
  const problem = findCompatibilityProblem(sys, patch);
  if (problem !== undefined) {
    k.events.push({ type: 'not-compatible', patch: patch.name, reason: problem });
    return fail('EINVAL', `the patch is not compatible with the loaded ones: ${problem}`);
  }
  if (sys.transition) return fail('EBUSY', 'another transition is still running: wait until it completes');
  sys.modules.set(patch.name, { name: patch.name, livepatch: true, prePatchRet, pinned: false });
  addNops(patch, replacedPatches(sys, patch));
  sys.patches.push(patch);
  return enablePatch(k, patch);
}

/** __klp_enable_patch: pre_patch and patch every loaded object, then start the transition. */
function enablePatch(k: Kernel, patch: KlpPatch): Outcome {
  k.events.push({ type: 'enabling', patch: patch.name });
  initTransition(k, patch, 'patched');
  for (const obj of patch.objects) {
    if (!isObjectLoaded(k.sys, obj)) continue;
    const ret = prePatchCallback(k, patch, obj, 'live');
    if (ret !== 0) {
      k.events.push({ type: 'pre-patch-failed', object: objectLabel(obj) });
      k.events.push({ type: 'enable-failed', patch: patch.name });
      cancelTransition(k, patch);
      // klp_enable_patch's error path frees the patch; the failed init unloads the module.
      k.sys.patches = k.sys.patches.filter((listed) => listed !== patch);
      k.sys.modules.delete(patch.name);
      return errnoFromNumber(-ret);
    }
    patchObject(k.sys, patch, obj);
  }
  startTransition(k);
  patch.enabled = true;
  tryCompleteTransition(k);
  return undefined;
}

/** insmod of an ordinary module: klp_module_coming applies every listed patch to it, in list order. */
export function loadModule(k: Kernel, name: string): Outcome {
  const { sys } = k;
  if (sys.modules.has(name)) return fail('EEXIST', `module '${name}' is already loaded`);
  sys.modules.set(name, { name, livepatch: false, prePatchRet: 0, pinned: false });
  for (const [index, patch] of sys.patches.entries()) {
    const obj = findObject(patch, name);
    if (!obj) continue;
    k.events.push({ type: 'applying-to-module', patch: patch.name, module: name });
    const ret = prePatchCallback(k, patch, obj, 'coming');
    if (ret !== 0) {
      k.events.push({ type: 'pre-patch-failed', object: name });
      k.events.push({ type: 'refusing-module', patch: patch.name, module: name });
      revertOnModule(k, name, sys.patches.slice(0, index), 'coming');
      sys.modules.delete(name);
      return errnoFromNumber(-ret);
    }
    patchObject(sys, patch, obj);
    if (sys.transition?.patch !== patch.name) postPatchCallback(k, patch, obj, 'coming');
  }
  return undefined;
}

/**
 * klp_cleanup_module_patches_limited: each patch's object for the module is unpatched at once, with
 * pre_unpatch unless the patch is in transition.
 */
function revertOnModule(
  k: Kernel,
  name: string,
  patches: ReadonlyArray<KlpPatch>,
  state: 'coming' | 'going',
): void {
  for (const patch of patches) {
    const obj = findObject(patch, name);
    if (!obj) continue;
    if (k.sys.transition?.patch !== patch.name) preUnpatchCallback(k, patch, obj, state);
    k.events.push({ type: 'reverting-on-module', patch: patch.name, module: name });
    unpatchObject(k.sys, patch, obj);
    postUnpatchCallback(k, patch, obj, state);
  }
}

/** rmmod: a livepatch module only once its patch left the list and was not forced (else -EAGAIN). */
export function unloadModule(k: Kernel, name: string): Outcome {
  const { sys } = k;
  const mod = sys.modules.get(name);
  if (!mod) return fail('ENOENT', `no module '${name}' is loaded`);
  if (mod.livepatch) {
    // The patch holds a reference on its own module until klp_free_patch_finish drops it; delete_module
    // answers -EWOULDBLOCK while it is held, and forever after a force.
    if (findPatch(sys, name))
      return fail('EAGAIN', 'the patch is still registered (enabled, or in transition): disable it first');
    if (mod.pinned) return fail('EAGAIN', 'the patch was forced: its module can never be removed');
    sys.modules.delete(name);
    return undefined;
  }
  // The module's exit makes its own sleeping tasks leave its functions.
  for (const task of sys.tasks.values()) {
    if (task.frame?.funcKey.startsWith(`${name}:`)) task.frame = undefined;
  }
  revertOnModule(k, name, sys.patches, 'going');
  sys.modules.delete(name);
  return undefined;
}

/** echo 0|1 > /sys/kernel/livepatch/<patch>/enabled (enabled_store). */
export function writeEnabled(k: Kernel, name: string, enabled: boolean): Outcome {
  const patch = findPatch(k.sys, name);
  if (!patch) return fail('ENOENT', `no patch '${name}' under /sys/kernel/livepatch`);
  if (patch.enabled === enabled)
    return fail('EINVAL', `the patch is already ${enabled ? 'enabled' : 'disabled'}`);
  // A pending transition can be turned around both ways; a disabled patch is never enabled again.
  if (k.sys.transition?.patch === name) {
    reverseTransition(k);
    tryCompleteTransition(k);
    return undefined;
  }
  if (enabled) return fail('EINVAL', 'a disabled patch is never enabled again: unload it and load it anew');
  return disablePatch(k, patch);
}

/** __klp_disable_patch: pre_unpatch every patched object, then start the unpatching transition. */
function disablePatch(k: Kernel, patch: KlpPatch): Outcome {
  if (k.sys.transition) return fail('EBUSY', 'another transition is still running: wait until it completes');
  initTransition(k, patch, 'unpatched');
  for (const obj of patch.objects) if (obj.patched) preUnpatchCallback(k, patch, obj, 'live');
  startTransition(k);
  patch.enabled = false;
  tryCompleteTransition(k);
  return undefined;
}

function checkTransitionPatch(k: Kernel, name: string): Outcome {
  if (!findPatch(k.sys, name)) return fail('ENOENT', `no patch '${name}' under /sys/kernel/livepatch`);
  if (k.sys.transition?.patch !== name) return fail('EINVAL', 'the patch is not in transition');
  return undefined;
}

/**
 * The `signal` step: time passes while the patch is in transition until the kernel's periodic retry
 * sends its fake signals (kernels before 5.1 had a `signal` attribute for this). klpm refuses it off
 * the transition patch, as that attribute did.
 */
export function writeSignal(k: Kernel, name: string): Outcome {
  const error = checkTransitionPatch(k, name);
  if (error) return error;
  signalTasks(k);
  tryCompleteTransition(k);
  return undefined;
}

/** echo 1 > /sys/kernel/livepatch/<patch>/force (force_store). */
export function writeForce(k: Kernel, name: string): Outcome {
  const error = checkTransitionPatch(k, name);
  if (error) return error;
  forceTransition(k);
  tryCompleteTransition(k);
  return undefined;
}

/** echo N > /sys/module/<patch>/parameters/pre_patch_ret */
export function writePrePatchRet(k: Kernel, name: string, value: number): Outcome {
  const mod = k.sys.modules.get(name);
  if (!mod?.livepatch) return fail('ENOENT', `no livepatch module '${name}' is loaded`);
  mod.prePatchRet = value;
  return undefined;
}

/**
 * A task goes to sleep inside a function, in the implementation it would call now. A task klpm did
 * not know before has switched already if a transition runs (nothing held it back).
 */
export function blockTask(
  k: Kernel,
  task: string,
  objectName: string | undefined,
  func: string,
  sympos: number,
  interruptible: boolean,
): Outcome {
  if (objectName !== undefined && !k.sys.modules.has(objectName))
    return fail('ENOENT', `module '${objectName}' is not loaded`);
  const key = funcKey(objectName, func, sympos);
  const known = k.sys.tasks.get(task);
  const patchState = known?.patchState ?? k.sys.transition?.targetState ?? 'undefined';
  const impl = resolveImpl(k.sys, key, patchState);
  k.sys.tasks.set(task, { name: task, patchState, frame: { funcKey: key, impl, interruptible } });
  tryCompleteTransition(k);
  return undefined;
}

/** The task leaves the function it slept in; a pending transition may now complete. */
export function unblockTask(k: Kernel, task: string): Outcome {
  const known = k.sys.tasks.get(task);
  if (known) known.frame = undefined;
  tryCompleteTransition(k);
  return undefined;
}
