import type { KernelKind, KlpObject, KlpPatch, KlpSystem, SysfsAttributes } from './types.js';

/** The sysfs attributes each kind shows by default (kernel/livepatch/core.c patch_attrs). */
export function defaultAttributes(kind: KernelKind): SysfsAttributes {
  return {
    replace: kind === 'replace-bool',
    stackOrder: kind === 'replace-bool',
    replaceSet: kind === 'replace-set',
    provides: kind === 'provides',
  };
}

/** A booted kernel with no livepatch and no module loaded. */
export function createSystem(
  kind: KernelKind,
  attributes: SysfsAttributes = defaultAttributes(kind),
): KlpSystem {
  return {
    kind,
    attributes,
    patches: [],
    transition: undefined,
    funcStacks: new Map(),
    modules: new Map(),
    tasks: new Map(),
  };
}

function cloneObject(obj: KlpObject): KlpObject {
  return { ...obj, funcs: [...obj.funcs] };
}

function clonePatch(patch: KlpPatch): KlpPatch {
  return { ...patch, objects: patch.objects.map(cloneObject) };
}

/**
 * A copy that operations may change freely. Funcs, states and callbacks lists are never changed in
 * place, so they are shared; everything with a mutable field is copied.
 */
export function cloneSystem(sys: KlpSystem): KlpSystem {
  const funcStacks = new Map<string, ReturnType<KlpSystem['funcStacks']['get']> & object>();
  for (const [key, stack] of sys.funcStacks) funcStacks.set(key, [...stack]);
  const modules = new Map<string, ReturnType<KlpSystem['modules']['get']> & object>();
  for (const [name, mod] of sys.modules) modules.set(name, { ...mod });
  const tasks = new Map<string, ReturnType<KlpSystem['tasks']['get']> & object>();
  for (const [name, task] of sys.tasks) tasks.set(name, { ...task });
  return {
    kind: sys.kind,
    attributes: sys.attributes,
    patches: sys.patches.map(clonePatch),
    transition: sys.transition ? { ...sys.transition } : undefined,
    funcStacks,
    modules,
    tasks,
  };
}

/** The listed patch of that name (it has a /sys/kernel/livepatch/<name> directory). */
export function findPatch(sys: KlpSystem, name: string): KlpPatch | undefined {
  return sys.patches.find((patch) => patch.name === name);
}

export function findObject(patch: KlpPatch, name: string | undefined): KlpObject | undefined {
  return patch.objects.find((obj) => obj.name === name);
}

/** klp_is_object_loaded: vmlinux always is; a module when it is loaded. */
export function isObjectLoaded(sys: KlpSystem, obj: KlpObject): boolean {
  return obj.name === undefined || sys.modules.has(obj.name);
}

export function objectLabel(obj: KlpObject): string {
  return obj.name ?? 'vmlinux';
}
