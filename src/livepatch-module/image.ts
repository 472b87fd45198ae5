import { cString, type ElfFile, type ElfSection, sectionBytes, stringTable } from '../elf/index.js';
import { InputError } from '../input/index.js';

/**
 * A relocatable module as the loader sees its data before relocation: symbols, and for every
 * pointer-sized word the relocation that gives it its value. A pointer in a `.ko` is zero in the file
 * (RELA keeps the addend in the relocation), so a struct's pointers are read through its relocations,
 * as apply_relocate_add in arch/<arch>/kernel/module.c resolves them at load.
 */

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** section index; 0 (SHN_UNDEF) for a symbol the module imports */
  readonly shndx: number;
  /** STT_* */
  readonly type: number;
}

/** Where a pointer points: into a section of the module, or to a symbol defined elsewhere. */
export type Target =
  | {
      readonly kind: 'section';
      readonly section: number;
      readonly offset: number;
      /** the symbol the relocation names, when it is not a section symbol */
      readonly symbol?: string;
    }
  | { readonly kind: 'external'; readonly symbol: string; readonly addend: number };

/** A place in the module's data: a section and an offset in it. */
export interface Place {
  readonly section: number;
  readonly offset: number;
}

const SHT_SYMTAB = 2;
const SHT_RELA = 4;
const SHT_REL = 9;
const STT_SECTION = 3;
const SHN_LORESERVE = 0xff00;

/** The 64-bit absolute relocation of each machine klpm reads (elf.h). */
const ABS64: Readonly<Record<number, { readonly type: number; readonly name: string }>> = {
  62: { type: 1, name: 'R_X86_64_64' },
  183: { type: 257, name: 'R_AARCH64_ABS64' },
  21: { type: 38, name: 'R_PPC64_ADDR64' },
  22: { type: 22, name: 'R_390_64' },
};

export const MACHINE_NAMES: Readonly<Record<number, string>> = {
  62: 'x86_64',
  183: 'arm64',
  21: 'ppc64',
  22: 's390x',
};

export class ModuleImage {
  readonly symbols: ReadonlyArray<ElfSymbol>;
  /** `section:offset` of each word an absolute relocation fills */
  private readonly relocations = new Map<string, Target>();

  constructor(readonly elf: ElfFile) {
    if (!elf.is64)
      throw new InputError('32-bit module: klpm reads livepatch structs of 64-bit kernels only', elf.source);
    const abs = ABS64[elf.machine];
    if (abs === undefined)
      throw new InputError(
        `ELF machine ${elf.machine} is not one klpm reads livepatch structs of (x86_64, arm64, ppc64, s390x)`,
        elf.source,
        'offset 0x12',
      );
    this.symbols = readSymtab(elf);
    for (const section of elf.sections) {
      if (section.type === SHT_REL)
        throw new InputError(
          `section '${section.name}' holds REL relocations: 64-bit modules use RELA`,
          elf.source,
        );
      if (section.type !== SHT_RELA) continue;
      const target = elf.sections[section.info];
      // relocations of debug info and the like say nothing the kernel reads from the patch
      if (target === undefined || (target.flags & 2) === 0) continue;
      this.readRelocations(section, abs.type);
    }
  }

  private readRelocations(section: ElfSection, abs64: number): void {
    const { view, littleEndian, source } = this.elf;
    if (section.size % 24 !== 0)
      throw new InputError(`${section.name} is ${section.size} bytes, not a multiple of 24`, source);
    for (let at = section.offset; at < section.offset + section.size; at += 24) {
      const type = view.getUint32(littleEndian ? at + 8 : at + 12, littleEndian);
      if (type !== abs64) continue;
      const offset = u64(view, at, littleEndian, source);
      const symbolIndex = view.getUint32(littleEndian ? at + 12 : at + 8, littleEndian);
      const addend = Number(view.getBigInt64(at + 16, littleEndian));
      const symbol = this.symbols[symbolIndex];
      if (symbol === undefined)
        throw new InputError(
          `relocation names symbol ${symbolIndex}, past the symbol table`,
          source,
          `offset 0x${at.toString(16)}`,
        );
      this.relocations.set(`${section.info}:${offset}`, targetOf(symbol, addend));
    }
  }

  section(index: number): ElfSection {
    const section = this.elf.sections[index];
    if (section === undefined) throw new InputError(`section ${index} does not exist`, this.elf.source);
    return section;
  }

  /** The pointer stored at `place`: a relocation's target, null, or an error for an unrelocated value. */
  pointer(place: Place): Target | null {
    const target = this.relocations.get(`${place.section}:${place.offset}`);
    if (target !== undefined) return target;
    const raw = this.u64(place);
    if (raw === 0) return null;
    throw new InputError(
      `pointer at ${this.describe(place)} is 0x${raw.toString(16)} with no relocation: not a layout klpm knows`,
      this.elf.source,
    );
  }

  /** A pointer that must point into the module's own data. */
  dataPointer(place: Place, what: string): Place | null {
    const target = this.pointer(place);
    if (target === null) return null;
    if (target.kind === 'external')
      throw new InputError(
        `${what} at ${this.describe(place)} points to '${target.symbol}', outside the module`,
        this.elf.source,
      );
    return target;
  }

  /** The NUL-terminated string a pointer field points at (null for NULL). */
  string(place: Place, what: string): string | null {
    const target = this.dataPointer(place, what);
    if (target === null) return null;
    const section = this.section(target.section);
    return cString(sectionBytes(this.elf, section), target.offset, this.elf.source, section.offset);
  }

  u64(place: Place): number {
    const at = this.fileOffset(place, 8);
    return u64(this.elf.view, at, this.elf.littleEndian, this.elf.source);
  }

  u32(place: Place): number {
    return this.elf.view.getUint32(this.fileOffset(place, 4), this.elf.littleEndian);
  }

  u8(place: Place): number {
    return this.elf.view.getUint8(this.fileOffset(place, 1));
  }

  /** Whether `length` bytes at `place` lie inside the section's contents. */
  holds(place: Place, length: number): boolean {
    const section = this.elf.sections[place.section];
    return section !== undefined && place.offset >= 0 && place.offset + length <= section.size;
  }

  /** The symbol that starts at `place` and has a size (an array's extent), if the symbol table has one. */
  objectAt(place: Place): ElfSymbol | undefined {
    return this.symbols.find(
      (s) => s.shndx === place.section && s.value === place.offset && s.size > 0 && s.type !== STT_SECTION,
    );
  }

  /** Every place a relocation makes point at the symbol `name` (defined in the module or not). */
  placesPointingTo(name: string): Place[] {
    const places: Place[] = [];
    for (const [key, target] of this.relocations) {
      if (target.symbol !== name) continue;
      const [section, offset] = key.split(':').map(Number) as [number, number];
      places.push({ section, offset });
    }
    return places.sort((a, b) => a.section - b.section || a.offset - b.offset);
  }

  describe(place: Place): string {
    const section = this.elf.sections[place.section];
    return `${section?.name ?? `section ${place.section}`}+0x${place.offset.toString(16)}`;
  }

  private fileOffset(place: Place, length: number): number {
    if (!this.holds(place, length))
      throw new InputError(
        `${length}-byte read at ${this.describe(place)} lies outside its section`,
        this.elf.source,
      );
    return this.section(place.section).offset + place.offset;
  }
}

/** What a relocation against `symbol` with `addend` points at (S + A of the psABIs). */
function targetOf(symbol: ElfSymbol, addend: number): Target {
  if (symbol.shndx === 0 || symbol.shndx >= SHN_LORESERVE)
    return { kind: 'external', symbol: symbol.name, addend };
  return {
    kind: 'section',
    section: symbol.shndx,
    offset: symbol.value + addend,
    ...(symbol.type === STT_SECTION ? {} : { symbol: symbol.name }),
  };
}

function readSymtab(elf: ElfFile): ElfSymbol[] {
  const symtab = elf.sections.find((section) => section.type === SHT_SYMTAB);
  if (symtab === undefined)
    throw new InputError('no symbol table (.symtab): a module always has one', elf.source);
  if (symtab.size % 24 !== 0)
    throw new InputError(`.symtab is ${symtab.size} bytes, not a multiple of 24`, elf.source);
  const strtab = elf.sections[symtab.link];
  if (strtab === undefined)
    throw new InputError(`.symtab links to missing string table ${symtab.link}`, elf.source);
  const nameAt = stringTable(sectionBytes(elf, strtab), elf.source, strtab.offset);
  const { view, littleEndian } = elf;
  const symbols: ElfSymbol[] = [];
  for (let at = symtab.offset; at < symtab.offset + symtab.size; at += 24) {
    const info = view.getUint8(at + 4);
    const shndx = view.getUint16(at + 6, littleEndian);
    const type = info & 0xf;
    // a section symbol is named by its section
    const name =
      type === STT_SECTION ? (elf.sections[shndx]?.name ?? '') : nameAt(view.getUint32(at, littleEndian));
    symbols.push({
      name,
      // SHN_ABS values may use all 64 bits; only section offsets are used, and those are small
      value: Number(view.getBigUint64(at + 8, littleEndian)),
      size: Number(view.getBigUint64(at + 16, littleEndian)),
      shndx,
      type,
    });
  }
  return symbols;
}

function u64(view: DataView, at: number, littleEndian: boolean, source: string): number {
  const value = view.getBigUint64(at, littleEndian);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InputError(`value 0x${value.toString(16)} too large`, source, `offset 0x${at.toString(16)}`);
  return Number(value);
}
