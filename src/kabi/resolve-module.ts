import { importListOf, type ModuleInfo, NO_CRC } from '../elf/index.js';
import type { KmpSymbol } from './resolve-types.js';

const computed = new WeakMap<object, ReadonlyArray<KmpSymbol>>();

/**
 * A module's imports as resolution compares them: elf/'s ImportList (the one model, counted as depmod
 * counts it: every strong undefined symbol, then every `__versions` entry no symbol names), each
 * name once. Weak undefined symbols never fail to resolve (resolve_symbol in kernel/module/main.c).
 * An import without a `__versions` entry has no CRC and is not compared: the kernel only warns "no
 * symbol version" and loads it (check_version in kernel/module/version.c), where `kmp check`, as
 * depmod, compares it as 0 (docs/kmp.md, "Missing CRCs"). Computed once per module object.
 */
export function importsOf(
  module: Pick<ModuleInfo, 'versions' | 'undefinedSymbols'>,
): ReadonlyArray<KmpSymbol> {
  const known = computed.get(module);
  if (known) return known;
  const list = importListOf(module);
  const seen = new Set<string>();
  const imports: KmpSymbol[] = [];
  for (let i = 0; i < list.names.length; i++) {
    const name = list.names[i]!;
    if (seen.has(name)) continue;
    seen.add(name);
    const crc = list.crcs[i]!;
    imports.push({ name, crc: crc === NO_CRC ? undefined : crc });
  }
  computed.set(module, imports);
  return imports;
}
