import type { FuncStackEntry, KlpFunc, KlpObject, KlpPatch, KlpSystem, TaskPatchState } from './types.js';

/**
 * The per-function func_stack of kernel/livepatch/patch.c: every patch that patches a function pushes
 * an entry; the newest entry wins, a NOP entry means the original runs.
 */

/** Identifies one function: object, old_name and sympos, with sympos 0 and 1 the same function. */
export function funcKey(objectName: string | undefined, oldName: string, oldSympos: number): string {
  return `${objectName ?? 'vmlinux'}:${oldName},${oldSympos === 0 ? 1 : oldSympos}`;
}

export function funcKeyOf(obj: KlpObject, func: KlpFunc): string {
  return funcKey(obj.name, func.oldName, func.oldSympos);
}

/** klp_patch_object: pushes every func of the object and marks it patched. */
export function patchObject(sys: KlpSystem, patch: KlpPatch, obj: KlpObject): void {
  for (const func of obj.funcs) {
    const key = funcKeyOf(obj, func);
    const stack = sys.funcStacks.get(key);
    const entry: FuncStackEntry = { patch: patch.name, nop: func.nop };
    if (stack) stack.push(entry);
    else sys.funcStacks.set(key, [entry]);
  }
  obj.patched = true;
}

/** klp_unpatch_object: removes the patch's entries; `nopsOnly` is klp_unpatch_objects_dynamic. */
export function unpatchObject(sys: KlpSystem, patch: KlpPatch, obj: KlpObject, nopsOnly = false): void {
  if (!obj.patched) return;
  for (const func of obj.funcs) {
    if (nopsOnly && !func.nop) continue;
    const key = funcKeyOf(obj, func);
    const stack = sys.funcStacks.get(key);
    if (!stack) continue;
    const at = stack.findIndex((entry) => entry.patch === patch.name && entry.nop === func.nop);
    if (at >= 0) stack.splice(at, 1);
    if (stack.length === 0) sys.funcStacks.delete(key);
  }
  if (!nopsOnly) obj.patched = false;
}

const implOf = (entry: FuncStackEntry | undefined): string | null =>
  entry === undefined || entry.nop ? null : entry.patch;

/**
 * Which code a task runs when it calls the function, as klp_ftrace_handler decides: the top entry,
 * or the one below it while the top entry's patch is in transition and the task is still unpatched.
 * Returns the patch name, or null for the original function.
 */
export function resolveImpl(sys: KlpSystem, key: string, patchState: TaskPatchState): string | null {
  const stack = sys.funcStacks.get(key);
  if (!stack || stack.length === 0) return null;
  const top = stack[stack.length - 1]!;
  if (sys.transition?.patch === top.patch && patchState === 'unpatched') {
    return implOf(stack[stack.length - 2]);
  }
  return implOf(top);
}

/**
 * The code a transition must not find on a task's stack for this func, as klp_check_stack_func:
 * unpatching checks the patch's own implementation; patching checks the one below it (or the
 * original when the stack holds only this entry).
 */
export function implToCheck(sys: KlpSystem, patch: KlpPatch, obj: KlpObject, func: KlpFunc): string | null {
  const stack = sys.funcStacks.get(funcKeyOf(obj, func)) ?? [];
  const at = stack.findIndex((entry) => entry.patch === patch.name && entry.nop === func.nop);
  if (sys.transition?.targetState === 'unpatched') return func.nop ? null : patch.name;
  return implOf(at > 0 ? stack[at - 1] : undefined);
}

/** The implementation every task runs outside a transition: the newest entry, null for the original. */
export function winner(sys: KlpSystem, key: string): string | null {
  const stack = sys.funcStacks.get(key);
  return implOf(stack?.[stack.length - 1]);
}
