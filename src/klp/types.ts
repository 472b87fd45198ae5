import type { CallbackName } from './manifest.js';

/**
 * The livepatch core's data, after include/linux/livepatch.h. The kernel's globals (klp_patches,
 * klp_transition_patch, klp_target_state, every task's patch_state, the per-function klp_ops) are
 * fields of one KlpSystem value. Operations never change the system they are given: they work on a
 * copy and return it.
 *
 * Per func, `patched` (its object is patched) and `transition` (its patch is the transition patch)
 * combine as in struct klp_func:
 *
 * | patched | transition | patching                       | unpatching                    |
 * |---------|------------|--------------------------------|-------------------------------|
 * | 0       | 0          | not yet on the func stack      | off the func stack            |
 * | 1       | 1          | on the stack, tasks switching  | on the stack, tasks switching |
 * | 1       | 0          | applied to every task          | -                             |
 */

/** Kernel kinds klpm models (docs/klp-semantics.md). */
export type KernelKind = 'replace-bool' | 'replace-set' | 'provides';

export type TargetState = 'patched' | 'unpatched';

/** A task's patch_state; `undefined` outside a transition (KLP_UNDEFINED). */
export type TaskPatchState = TargetState | 'undefined';

export interface KlpState {
  readonly id: number;
  readonly version: number;
}

export interface KlpFunc {
  readonly oldName: string;
  /** as given; 0 and 1 name the same function */
  readonly oldSympos: number;
  /** func->nop: added by a replacing patch so the original runs again */
  readonly nop: boolean;
}

export interface KlpObject {
  /** module name; undefined is vmlinux (obj->name == NULL) */
  readonly name: string | undefined;
  funcs: KlpFunc[];
  readonly callbacks: ReadonlyArray<CallbackName>;
  /** obj->dynamic: added only to hold NOPs */
  readonly dynamic: boolean;
  patched: boolean;
  /** callbacks.post_unpatch_enabled: set by a successful pre_patch, cleared by post_unpatch */
  postUnpatchEnabled: boolean;
}

export interface KlpPatch {
  /** patch->mod->name */
  readonly name: string;
  readonly replace: boolean;
  readonly replaceSet: number;
  readonly obsoletes: ReadonlyArray<number>;
  readonly states: ReadonlyArray<KlpState>;
  objects: KlpObject[];
  enabled: boolean;
  /** set by force: the module reference is never dropped */
  forced: boolean;
}

/** One implementation of a function on a func stack: the patch that pushed it, or a NOP. */
export interface FuncStackEntry {
  readonly patch: string;
  readonly nop: boolean;
}

/** Where a sleeping task is: which function, and which implementation of it it entered. */
export interface TaskFrame {
  readonly funcKey: string;
  /** patch whose code the task runs, or null for the original function */
  readonly impl: string | null;
  /** a (fake) signal makes it leave the function, as a task in an interruptible sleep in a syscall */
  readonly interruptible: boolean;
}

export interface KlpTask {
  readonly name: string;
  patchState: TaskPatchState;
  frame: TaskFrame | undefined;
}

/** A loaded module (lsmod): an ordinary module or a livepatch module. */
export interface LoadedModule {
  readonly name: string;
  readonly livepatch: boolean;
  /** a livepatch module's `pre_patch_ret` parameter */
  prePatchRet: number;
  /** the patch was forced: klp_free_patch_finish keeps the module reference forever */
  pinned: boolean;
}

export interface KlpTransition {
  readonly patch: string;
  targetState: TargetState;
  /** the periodic retry has sent its fake signals since this transition (re)started (klp_signals_cnt) */
  signaled: boolean;
}

/** What the sysfs tree of a kind shows beyond `enabled` and `transition`. */
export interface SysfsAttributes {
  readonly replace: boolean;
  readonly replaceSet: boolean;
  readonly stackOrder: boolean;
  readonly provides: boolean;
}

export interface KlpSystem {
  readonly kind: KernelKind;
  readonly attributes: SysfsAttributes;
  /** klp_patches: patches enabled or in transition, in load order */
  patches: KlpPatch[];
  /** klp_transition_patch and klp_target_state */
  transition: KlpTransition | undefined;
  /** klp_ops func_stack per function key, newest last */
  funcStacks: Map<string, FuncStackEntry[]>;
  modules: Map<string, LoadedModule>;
  tasks: Map<string, KlpTask>;
}
