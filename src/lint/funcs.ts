import type { PatchManifest } from '../klp/index.js';

/** A function as the kernel tells them apart: object, name, and sympos with 0 and 1 the same (klp_find_func). */
export interface FuncRef {
  readonly object: string;
  readonly name: string;
  readonly sympos: number;
  /** `object:name,sympos` with sympos 0 written as 1, as sysfs and the simulator write it */
  readonly key: string;
}

export function funcsOf(manifest: PatchManifest): FuncRef[] {
  return manifest.objects.flatMap((obj) =>
    obj.funcs.map((func) => ({
      object: obj.name,
      name: func.name,
      sympos: func.sympos,
      key: `${obj.name}:${func.name},${func.sympos === 0 ? 1 : func.sympos}`,
    })),
  );
}

/** The functions `before` patches and `after` does not: what replacing `before` by `after` reverts. */
export function droppedFuncs(before: PatchManifest, after: PatchManifest): FuncRef[] {
  const kept = new Set(funcsOf(after).map((f) => f.key));
  return funcsOf(before).filter((f) => !kept.has(f.key));
}
