import { InputError } from '../input/index.js';
import { decodeText, type ElfFile, findSection, sectionBytes, stringTable } from './elf-file.js';
import type { ModuleExport, ModuleUndefinedSymbol } from './types.js';

const SHT_SYMTAB = 2;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const STB_WEAK = 2;
const STT_REGISTER = 13;
const EM_SPARC = 2;
const EM_SPARCV9 = 43;

/** What `.symtab` says about a module's imports and exports. */
export interface SymtabSymbols {
  readonly undefinedSymbols: ModuleUndefinedSymbol[];
  readonly exports: ModuleExport[];
}

/**
 * Undefined symbols (SHN_UNDEF, with the weak bind flagged) and exports. An export is a
 * `__ksymtab_<sym>` symbol in a `__ksymtab*` section (GPL when the section is `__ksymtab_gpl`), and
 * its CRC is the `__crc_<sym>` symbol: an SHN_ABS value on kernels before 5.19, since then (and on
 * Debian's 6.1 and 6.12) a local symbol whose value is the offset of a 32-bit CRC in `__kcrctab` or
 * `__kcrctab_gpl` (SYMBOL_CRC in include/linux/export-internal.h); kmod_elf_get_symbols in
 * libkmod/libkmod-elf.c reads the same symbols. The namespace is the string a `__kstrtabns_<sym>`
 * symbol points at in `__ksymtab_strings`. Modules without a symbol table have neither.
 */
export function readSymbols(elf: ElfFile): SymtabSymbols {
  const undefinedSymbols: ModuleUndefinedSymbol[] = [];
  const exports = readExports(elf, (name, weak) => undefinedSymbols.push({ name, weak }));
  return { undefinedSymbols, exports };
}

/** readSymbols handing each undefined symbol to `visitUndefined` instead of collecting them. */
export function readExports(
  elf: ElfFile,
  visitUndefined: (name: string, weak: boolean) => void,
): ModuleExport[] {
  const symtab = elf.sections.find((section) => section.type === SHT_SYMTAB);
  if (symtab === undefined) return kstrtabExports(elf);
  const entsize = elf.is64 ? 24 : 16;
  if (symtab.size % entsize !== 0)
    throw new InputError(
      `.symtab is ${symtab.size} bytes, not a multiple of ${entsize}`,
      elf.source,
      `offset 0x${symtab.offset.toString(16)}`,
    );
  const strtab = elf.sections[symtab.link];
  if (strtab === undefined)
    throw new InputError(
      `.symtab links to missing string table ${symtab.link}`,
      elf.source,
      `offset 0x${symtab.offset.toString(16)}`,
    );
  const strings = sectionBytes(elf, strtab);
  const nameAt = stringTable(strings, elf.source, strtab.offset);
  const skipRegister = elf.machine === EM_SPARC || elf.machine === EM_SPARCV9;
  const { view, littleEndian, is64 } = elf;
  const exported = new Map<string, { gpl: boolean }>();
  const crcs = new Map<string, { crc: number; gpl: boolean | undefined }>();
  const namespaces = new Map<string, string>();
  const kstrtab = findSection(elf, '__ksymtab_strings');
  const kstrtabAt =
    kstrtab === undefined ? undefined : stringTable(sectionBytes(elf, kstrtab), elf.source, kstrtab.offset);
  const count = symtab.size / entsize;
  for (let i = 1; i < count; i++) {
    const at = symtab.offset + i * entsize;
    const nameOffset = view.getUint32(at, littleEndian);
    const info = view.getUint8(at + (is64 ? 4 : 12));
    const shndx = view.getUint16(at + (is64 ? 6 : 14), littleEndian);
    if (nameOffset === 0) continue;
    if (nameOffset >= strings.length)
      throw new InputError(
        `symbol ${i} names string offset ${nameOffset} outside .strtab (${strings.length} bytes)`,
        elf.source,
        `offset 0x${at.toString(16)}`,
      );
    if (shndx === SHN_UNDEF) {
      // sparc gcc emits U references for global register variables: not imports (as kmod does)
      if (skipRegister && (info & 0xf) === STT_REGISTER) continue;
      visitUndefined(nameAt(nameOffset), info >> 4 === STB_WEAK);
      continue;
    }
    if (!mayNameExport(strings, nameOffset)) continue;
    const name = nameAt(nameOffset);
    if (name.startsWith('__crc_')) {
      const value = is64
        ? Number(view.getBigUint64(at + 8, littleEndian) & 0xffffffffn)
        : view.getUint32(at + 4, littleEndian);
      crcs.set(name.slice(6), crcOf(elf, shndx, value, at));
    } else if (name.startsWith('__kstrtabns_')) {
      // the namespace string of an export, in __ksymtab_strings (__KSYMTAB in include/linux/export.h, 5.4+)
      if (kstrtab === undefined || kstrtabAt === undefined || shndx !== kstrtab.index) continue;
      const value = is64
        ? view.getUint32(at + (littleEndian ? 8 : 12), littleEndian)
        : view.getUint32(at + 4, littleEndian);
      const namespace = kstrtabAt(value);
      if (namespace !== '') namespaces.set(name.slice(12), namespace);
    } else if (name.startsWith('__ksymtab_')) {
      const section = elf.sections[shndx];
      if (
        section === undefined ||
        !section.name.startsWith('__ksymtab') ||
        section.name === '__ksymtab_strings'
      )
        continue;
      exported.set(name.slice(10), { gpl: section.name.startsWith('__ksymtab_gpl') });
    }
  }
  const exports: ModuleExport[] = [];
  for (const [name, { gpl }] of exported) {
    const crc = crcs.get(name);
    const namespace = namespaces.get(name);
    exports.push({
      name,
      crc: crc?.crc,
      gpl: crc?.gpl ?? gpl,
      ...(namespace === undefined ? {} : { namespace }),
    });
  }
  for (const [name, crc] of crcs)
    if (!exported.has(name)) exports.push({ name, crc: crc.crc, gpl: crc.gpl ?? false });
  return exports.length > 0 ? exports : kstrtabExports(elf);
}

function crcOf(
  elf: ElfFile,
  shndx: number,
  value: number,
  at: number,
): { crc: number; gpl: boolean | undefined } {
  if (shndx === SHN_ABS) return { crc: value >>> 0, gpl: undefined };
  const section = elf.sections[shndx];
  if (section === undefined || value + 4 > section.size)
    throw new InputError(
      `CRC symbol points outside its section (index ${shndx}, offset 0x${value.toString(16)})`,
      elf.source,
      `offset 0x${at.toString(16)}`,
    );
  return {
    crc: elf.view.getUint32(section.offset + value, elf.littleEndian),
    gpl: section.name.startsWith('__kcrctab') ? section.name.endsWith('_gpl') : undefined,
  };
}

/**
 * Without `__ksymtab_*` symbols, the names in `__ksymtab_strings` are the exports, without CRCs:
 * kmod_elf_get_symbols_symtab in libkmod/libkmod-elf.c falls back the same way.
 */
function kstrtabExports(elf: ElfFile): ModuleExport[] {
  const section = findSection(elf, '__ksymtab_strings');
  if (section === undefined) return [];
  const bytes = sectionBytes(elf, section);
  const exports: ModuleExport[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    if (end > start)
      exports.push({ name: decodeText(bytes.subarray(start, end)), crc: undefined, gpl: false });
    start = end + 1;
  }
  return exports;
}

/**
 * Only `__crc_`, `__kstrtabns_` and `__ksymtab_` names matter for exports: a test of the first
 * bytes before decoding a name, over hundreds of thousands of symbols.
 */
function mayNameExport(strings: Uint8Array, at: number): boolean {
  return (
    strings[at] === 0x5f && strings[at + 1] === 0x5f && (strings[at + 2] === 0x63 || strings[at + 2] === 0x6b)
  );
}
