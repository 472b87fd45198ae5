import type { ModuleInfo } from '../elf/index.js';
import type { KmpSymbol } from './resolve-types.js';

const computed = new WeakMap<object, ReadonlyArray<KmpSymbol>>();

/**
 * What a module needs from the kernel and the other modules, counted as depmod counts it
 * (kmod_elf_get_dependency_symbols in kmod's libkmod/libkmod-elf.c): every strong undefined symbol,
 * with the CRC of its `__versions` entry, then every `__versions` entry no symbol names (how
 * `module_layout` gets checked). Weak undefined symbols never fail to resolve (resolve_symbol in
 * kernel/module/main.c). A symbol without a `__versions` entry has no CRC and is not compared: the
 * kernel only warns "no symbol version" and loads it (check_version in kernel/module/version.c).
 * Computed once per module object.
 */
export function importsOf(
  module: Pick<ModuleInfo, 'versions' | 'undefinedSymbols'>,
): ReadonlyArray<KmpSymbol> {
  const known = computed.get(module);
  if (known) return known;
  const crcs = new Map<string, number>();
  // the first entry of a name counts, as kmod_elf_crc_find
  for (const v of module.versions) if (!crcs.has(v.name)) crcs.set(v.name, v.crc);
  const named = new Set<string>();
  const imports: KmpSymbol[] = [];
  for (const s of module.undefinedSymbols) {
    if (s.name === '' || named.has(s.name)) continue;
    named.add(s.name);
    if (!s.weak) imports.push({ name: s.name, crc: crcs.get(s.name) });
  }
  for (const [name, crc] of crcs) if (!named.has(name)) imports.push({ name, crc });
  computed.set(module, imports);
  return imports;
}
