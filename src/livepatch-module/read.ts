import {
  decompressModule,
  findSection,
  hasSignature,
  kernelModuleName,
  moduleNameFromPath,
  parseElf,
  parseModinfo,
  sectionBytes,
} from '../elf/index.js';
import { InputError } from '../input/index.js';
import { type PatchManifest, patchManifestSchema } from '../klp/index.js';
import { MACHINE_NAMES, ModuleImage } from './image.js';
import { KLP_OBJECTS, readKlpBuildPatch } from './klp-build.js';
import { readKlpRelaSections, readKlpSyms } from './klp-syms.js';
import { KPATCH_FUNCS, readKpatchPatch } from './kpatch.js';
import { layoutFor, REPLACE_SET_LAYOUT } from './layouts.js';
import type { RawPatch } from './raw-patch.js';
import { readStaticPatch } from './static-patch.js';
import type { LivepatchModule, PatchBuilder, ReadOptions } from './types.js';

/**
 * Reads what the kernel will see of a livepatch module once loaded: its patch (as a manifest), its
 * modinfo and its `.klp.sym` symbols. `bytes` may be gzip or zstd compressed (xz is the caller's:
 * src/host decompresses it). Throws InputError naming `file` and the reason for a module that is not
 * a livepatch or whose layout klpm does not know; it never guesses.
 */
export function readLivepatchModule(
  bytes: Uint8Array,
  file: string,
  options: ReadOptions = {},
): LivepatchModule {
  const elf = parseElf(decompressModule(bytes, file), file);
  const modinfoSection = findSection(elf, '.modinfo');
  const all = modinfoSection === undefined ? {} : parseModinfo(sectionBytes(elf, modinfoSection));
  const modinfo: Record<string, string> = {};
  for (const [key, values] of Object.entries(all)) modinfo[key] = values[0] ?? '';
  const kpatch = findSection(elf, KPATCH_FUNCS) !== undefined;
  const klpBuild = findSection(elf, KLP_OBJECTS) !== undefined;
  if (modinfo.livepatch !== 'Y' && !kpatch && !klpBuild)
    throw new InputError('not a livepatch module: .modinfo has no livepatch=Y', file);
  const image = new ModuleImage(elf);
  const builder: PatchBuilder = klpBuild ? 'klp-build' : kpatch ? 'kpatch' : 'static';
  let raw: RawPatch;
  let notes: string[] = [];
  let layoutId: string = builder;
  if (builder === 'static') {
    const layout = options.layout === 'replace-set' ? REPLACE_SET_LAYOUT : layoutFor(modinfo.vermagic, file);
    layoutId = layout.id;
    raw = readStaticPatch(image, layout);
  } else {
    ({ patch: raw, notes } = builder === 'kpatch' ? readKpatchPatch(image) : readKlpBuildPatch(image));
  }
  const name = modinfo.name ? kernelModuleName(modinfo.name) : moduleNameFromPath(file);
  return {
    manifest: manifestOf(name, modinfo.version, raw, file),
    modinfo,
    klpSyms: readKlpSyms(image),
    klpRelaSections: readKlpRelaSections(image),
    builder,
    layout: layoutId,
    machine: MACHINE_NAMES[elf.machine] ?? String(elf.machine),
    signed: hasSignature(elf),
    notes,
  };
}

/** The manifest, checked by the one schema every manifest passes (names, duplicates). */
function manifestOf(name: string, version: string | undefined, raw: RawPatch, file: string): PatchManifest {
  const parsed = patchManifestSchema.safeParse({
    name,
    ...(raw.replaceSet === undefined ? {} : { replaceSet: raw.replaceSet }),
    replace: raw.replace,
    ...(version === undefined ? {} : { version }),
    states: raw.states,
    objects: raw.objects,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(
      `the patch read from the module is not one the kernel accepts: ${issue.path.join('.')}: ${issue.message}`,
      file,
    );
  }
  return parsed.data;
}
