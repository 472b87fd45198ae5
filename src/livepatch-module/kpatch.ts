import { InputError } from '../input/index.js';
import { CALLBACK_NAMES, type CallbackName } from '../klp/index.js';
import type { ModuleImage } from './image.js';
import type { RawObject, RawPatch } from './raw-patch.js';
import { at } from './walk.js';

/**
 * kpatch-build: no klp structs in the file. `.kpatch.funcs` holds one struct kpatch_patch_func per
 * function (new_addr, new_size, old_addr, old_size, sympos, name, objname: kmod/patch/kpatch-patch.h),
 * and `.kpatch.callbacks.<callback>` one {callback, objname} per callback (kpatch-macros.h);
 * kmod/patch/livepatch-patch-hook.c patch_init turns them into a klp_patch at load, one object per
 * objname ("vmlinux" becomes a NULL name). It sets `replace = KLP_REPLACE_ENABLE`: true unless the
 * module was built with `--no-replace`, which leaves nothing in the data.
 */
export const KPATCH_FUNCS = '.kpatch.funcs';
const FUNC_SIZE = 56;

export function readKpatchPatch(image: ModuleImage): { patch: RawPatch; notes: string[] } {
  const source = image.elf.source;
  const section = image.elf.sections.find((s) => s.name === KPATCH_FUNCS)!;
  if (section.size % FUNC_SIZE !== 0)
    throw new InputError(
      `${KPATCH_FUNCS} is ${section.size} bytes, no multiple of the ${FUNC_SIZE}-byte kpatch_patch_func: a kpatch layout klpm does not know`,
      source,
    );
  const objects = new Map<string, { funcs: RawObject['funcs']; callbacks: Set<CallbackName> }>();
  const object = (name: string) => {
    let entry = objects.get(name);
    if (entry === undefined) {
      entry = { funcs: [], callbacks: new Set() };
      objects.set(name, entry);
    }
    return entry;
  };
  for (let offset = 0; offset < section.size; offset += FUNC_SIZE) {
    const place = { section: section.index, offset };
    const name = image.string(at(place, 40), 'kpatch_patch_func.name');
    const objname = image.string(at(place, 48), 'kpatch_patch_func.objname');
    if (name === null || objname === null)
      throw new InputError(`${KPATCH_FUNCS} entry ${offset / FUNC_SIZE} has no name or objname`, source);
    object(objname).funcs.push({ name, sympos: image.u64(at(place, 32)) });
  }
  for (const callback of CALLBACK_NAMES) {
    const cbs = image.elf.sections.find((s) => s.name === `.kpatch.callbacks.${callback}`);
    if (cbs === undefined) continue;
    // the linker script pads each section with a zero quad; entries with no callback are that
    for (let offset = 0; offset + 16 <= cbs.size; offset += 16) {
      const place = { section: cbs.index, offset };
      if (image.pointer(place) === null) continue;
      const objname = image.string(at(place, 8), `kpatch ${callback} callback objname`);
      if (objname === null) throw new InputError(`a kpatch ${callback} callback has no objname`, source);
      object(objname).callbacks.add(callback);
    }
  }
  return {
    patch: {
      replace: true,
      states: [],
      objects: [...objects].map(([name, o]) => ({
        name,
        funcs: o.funcs,
        callbacks: CALLBACK_NAMES.filter((c) => o.callbacks.has(c)),
      })),
    },
    notes: [
      'replace: kpatch-build sets KLP_REPLACE_ENABLE (true) unless built with --no-replace, which the data does not show',
    ],
  };
}
