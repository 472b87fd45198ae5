import { winner } from './patch.js';
import { objectLabel } from './system.js';
import type { KlpSystem } from './types.js';

/** /sys/kernel/livepatch/<patch>/<object>: `patched`, and a directory `<old_name>,<sympos or 1>` per func. */
export interface SysfsObjectView {
  readonly name: string;
  readonly patched: 0 | 1;
  readonly funcs: ReadonlyArray<string>;
}

/** /sys/kernel/livepatch/<patch>: the attributes the kernel kind shows, with the values `cat` prints. */
export interface SysfsPatchView {
  readonly name: string;
  readonly enabled: 0 | 1;
  readonly transition: 0 | 1;
  readonly replace?: 0 | 1;
  readonly replace_set?: number;
  readonly provides?: number;
  /** comma-separated ids, empty when none */
  readonly obsoletes?: string;
  readonly stack_order?: number;
  readonly objects: ReadonlyArray<SysfsObjectView>;
}

const bit = (value: boolean): 0 | 1 => (value ? 1 : 0);

/** The /sys/kernel/livepatch tree, patches in klp_patches order (core.c patch_attrs, object and func kobjects). */
export function sysfsView(sys: KlpSystem): SysfsPatchView[] {
  const attrs = sys.attributes;
  return sys.patches.map((patch, index) => ({
    name: patch.name,
    enabled: bit(patch.enabled),
    transition: bit(sys.transition?.patch === patch.name),
    ...(attrs.replace ? { replace: bit(patch.replace) } : {}),
    ...(attrs.replaceSet ? { replace_set: patch.replaceSet } : {}),
    ...(attrs.provides ? { provides: patch.replaceSet, obsoletes: patch.obsoletes.join(',') } : {}),
    ...(attrs.stackOrder ? { stack_order: index + 1 } : {}),
    objects: patch.objects.map((obj) => ({
      name: objectLabel(obj),
      patched: bit(obj.patched),
      funcs: obj.funcs.map((func) => `${func.oldName},${func.oldSympos === 0 ? 1 : func.oldSympos}`),
    })),
  }));
}

/** Per patched function, whose code every task runs now (null: the original). */
export function funcWinners(sys: KlpSystem): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of [...sys.funcStacks.keys()].sort()) out[key] = winner(sys, key);
  return out;
}
