import { InputError } from '../input/index.js';
import { CALLBACK_NAMES } from '../klp/index.js';
import type { ModuleImage } from './image.js';
import type { RawPatch } from './raw-patch.js';
import { at } from './walk.js';

/**
 * The kernel's own klp-build (scripts/livepatch/): objtool writes struct klp_object_ext entries
 * into the `.init.klp_objects` section (KLP_OBJECTS_SEC in tools/objtool/include/objtool/klp.h,
 * filled by create_klp_sections in tools/objtool/klp-diff.c; init.c finds it with
 * klp_find_section_by_name; include/linux/livepatch_external.h: name, funcs, callbacks,
 * nr_funcs; 64 bytes on LP64), each pointing at nr_funcs struct klp_func_ext (old_name, new_func,
 * sympos; 24 bytes). scripts/livepatch/init.c livepatch_mod_init copies them into a klp_patch at
 * load, with no states, and `replace = true` unless compiled with KLP_NO_REPLACE.
 */
export const KLP_OBJECTS = '.init.klp_objects';
const OBJECT_SIZE = 64;
const FUNC_SIZE = 24;

export function readKlpBuildPatch(image: ModuleImage): { patch: RawPatch; notes: string[] } {
  const source = image.elf.source;
  const section = image.elf.sections.find((s) => s.name === KLP_OBJECTS)!;
  if (section.size % OBJECT_SIZE !== 0 || section.size === 0)
    throw new InputError(
      `${KLP_OBJECTS} is ${section.size} bytes, no multiple of the ${OBJECT_SIZE}-byte klp_object_ext: a klp-build layout klpm does not know`,
      source,
    );
  const objects: RawPatch['objects'] = [];
  for (let offset = 0; offset < section.size; offset += OBJECT_SIZE) {
    const place = { section: section.index, offset };
    const name = image.string(place, 'klp_object_ext.name') ?? 'vmlinux';
    const nrFuncs = image.u32(at(place, 56));
    const funcs = image.dataPointer(at(place, 8), 'klp_object_ext.funcs');
    if (funcs === null || nrFuncs === 0)
      throw new InputError(`klp_object_ext of '${name}' has no funcs`, source);
    if (!image.holds(funcs, nrFuncs * FUNC_SIZE))
      throw new InputError(
        `klp_object_ext of '${name}' says ${nrFuncs} funcs, more than its section holds`,
        source,
      );
    const list = [];
    for (let i = 0; i < nrFuncs; i++) {
      const f = at(funcs, i * FUNC_SIZE);
      const oldName = image.string(f, 'klp_func_ext.old_name');
      if (oldName === null) throw new InputError(`func ${i} of object '${name}' has no old_name`, source);
      list.push({ name: oldName, sympos: image.u64(at(f, 16)) });
    }
    const callbacks = CALLBACK_NAMES.filter((_, i) => image.pointer(at(place, 16 + 8 * i)) !== null);
    objects.push({ name, funcs: list, callbacks });
  }
  return {
    patch: { replace: true, states: [], objects },
    notes: [
      'replace: scripts/livepatch/init.c sets it true unless built with KLP_NO_REPLACE, which the data does not show',
    ],
  };
}
