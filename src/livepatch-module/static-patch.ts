import { InputError } from '../input/index.js';
import { CALLBACK_NAMES } from '../klp/index.js';
import type { ModuleImage, Place } from './image.js';
import type { StructLayout } from './layouts.js';
import type { RawObject, RawPatch } from './raw-patch.js';
import { at, walkArray } from './walk.js';

const SHF_EXECINSTR = 4;

/**
 * Hand-written and upstream-sample patches (samples/livepatch/*.c): a static `struct klp_patch`
 * whose `.mod = THIS_MODULE` is a relocation to `__this_module`. Other structs point there too
 * (`kernel_param.mod`, `file_operations.owner`), so each place is read as a klp_patch and kept only
 * when its objects and funcs read as the kernel's klp_init_patch would accept them.
 */
export function readStaticPatch(image: ModuleImage, layout: StructLayout): RawPatch {
  const found: Array<{ place: Place; patch: RawPatch }> = [];
  const reasons: string[] = [];
  for (const mod of image.placesPointingTo('__this_module')) {
    const place = { section: mod.section, offset: mod.offset - layout.patch.mod };
    if (place.offset < 0 || image.section(place.section).name === '.gnu.linkonce.this_module') continue;
    try {
      found.push({ place, patch: readPatchAt(image, layout, place) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      reasons.push(`${image.describe(place)}: ${error.detail}`);
    }
  }
  if (found.length > 1)
    throw new InputError(
      `${found.length} structs read as a klp_patch (${found.map((f) => image.describe(f.place)).join(', ')}): cannot tell which one the module enables`,
      image.elf.source,
    );
  if (found.length === 0) {
    const why = reasons.length === 0 ? 'nothing points at __this_module' : reasons.slice(0, 2).join('; ');
    throw new InputError(`no struct klp_patch (layout ${layout.id}) found: ${why}`, image.elf.source);
  }
  return found[0]!.patch;
}

function readPatchAt(image: ModuleImage, layout: StructLayout, place: Place): RawPatch {
  const objs = image.pointer(at(place, layout.patch.objs));
  if (objs === null || objs.kind !== 'section' || (image.section(objs.section).flags & SHF_EXECINSTR) !== 0)
    throw new InputError('not a klp_patch: its objs field points at no data', image.elf.source);
  const objects = walkArray(
    image,
    objs,
    layout.object.size,
    'klp_object array',
    (entry) =>
      image.pointer(at(entry, layout.object.funcs)) === null &&
      image.pointer(at(entry, layout.object.name)) === null,
  ).map((entry) => readObject(image, layout, entry));
  if (objects.length === 0) throw new InputError('not a klp_patch: no objects', image.elf.source);
  const states =
    layout.patch.states === undefined || layout.state === undefined
      ? []
      : readStates(image, layout, at(place, layout.patch.states));
  return {
    replace: layout.patch.replace === undefined ? false : image.u8(at(place, layout.patch.replace)) !== 0,
    ...(layout.patch.replaceSet === undefined
      ? {}
      : { replaceSet: image.u32(at(place, layout.patch.replaceSet)) }),
    states,
    objects,
  };
}

function readObject(image: ModuleImage, layout: StructLayout, entry: Place): RawObject {
  const name = image.string(at(entry, layout.object.name), 'klp_object.name') ?? 'vmlinux';
  const funcs = image.dataPointer(at(entry, layout.object.funcs), 'klp_object.funcs');
  if (funcs === null)
    throw new InputError(`object '${name}' has no funcs (klp_init_object refuses it)`, image.elf.source);
  const { func } = layout;
  const list = walkArray(
    image,
    funcs,
    func.size,
    `klp_func array of object '${name}'`,
    (f) =>
      image.pointer(at(f, func.oldName)) === null &&
      image.pointer(at(f, func.newFunc)) === null &&
      image.u64(at(f, func.oldSympos)) === 0,
  ).map((f) => {
    const oldName = image.string(at(f, func.oldName), 'klp_func.old_name');
    if (oldName === null)
      throw new InputError(`a func of object '${name}' has no old_name`, image.elf.source);
    return { name: oldName, sympos: image.u64(at(f, func.oldSympos)) };
  });
  const callbacks =
    layout.object.callbacks === undefined
      ? []
      : CALLBACK_NAMES.filter(
          (_, i) => image.pointer(at(entry, (layout.object.callbacks as number) + 8 * i)) !== null,
        );
  return { name, funcs: list, callbacks };
}

function readStates(image: ModuleImage, layout: StructLayout, field: Place): RawPatch['states'] {
  const state = layout.state!;
  const start = image.dataPointer(field, 'klp_patch.states');
  if (start === null) return [];
  return walkArray(image, start, state.size, 'klp_state array', (s) => image.u64(at(s, state.id)) === 0).map(
    (s) => ({ id: image.u64(at(s, state.id)), version: image.u32(at(s, state.version)) }),
  );
}
