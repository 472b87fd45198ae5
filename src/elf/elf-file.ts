import { InputError } from '../input/index.js';

/** One section header of an ELF file, with its name resolved from the section name table. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  /** sh_info: for a relocation section, the index of the section it applies to */
  readonly info: number;
  /** sh_flags (SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4), low 32 bits */
  readonly flags: number;
  readonly entsize: number;
}

/** An ELF relocatable file whose header and section headers have been checked against its length. */
export interface ElfFile {
  readonly source: string;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly machine: number;
  readonly sections: ReadonlyArray<ElfSection>;
  /** index of the section name table (e_shstrndx) */
  readonly namesIndex: number;
}

const SHT_NOBITS = 8;
const ET_REL = 1;
const SHN_XINDEX = 0xffff;

const hex = (offset: number) => `offset 0x${offset.toString(16)}`;
const utf8 = new TextDecoder('utf-8');

/**
 * Reads the ELF header and every section header. Every offset is checked against the file length,
 * so the readers built on it throw InputError on corrupt input instead of reading past the end.
 */
export function parseElf(bytes: Uint8Array, source: string): ElfFile {
  if (bytes.length < 52) throw new InputError('file too short for an ELF header', source, hex(bytes.length));
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new InputError('not an ELF file (bad magic): expected a kernel module (.ko)', source, hex(0));
  const elfClass = bytes[4];
  const data = bytes[5];
  if (elfClass !== 1 && elfClass !== 2) throw new InputError(`unknown ELF class ${elfClass}`, source, hex(4));
  if (data !== 1 && data !== 2) throw new InputError(`unknown ELF data encoding ${data}`, source, hex(5));
  const is64 = elfClass === 2;
  const littleEndian = data === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (is64 && bytes.length < 64) throw new InputError('file too short for an ELF64 header', source, hex(0));
  const type = view.getUint16(16, littleEndian);
  if (type !== ET_REL)
    throw new InputError(`ELF type ${type} is not relocatable (1): not a kernel module`, source, hex(16));
  const machine = view.getUint16(18, littleEndian);
  const shoff = is64 ? u64(view, 0x28, littleEndian, source) : view.getUint32(0x20, littleEndian);
  const shentsize = view.getUint16(is64 ? 0x3a : 0x2e, littleEndian);
  let shnum = view.getUint16(is64 ? 0x3c : 0x30, littleEndian);
  let shstrndx = view.getUint16(is64 ? 0x3e : 0x32, littleEndian);
  const minEntsize = is64 ? 64 : 40;
  if (shoff === 0) throw new InputError('no section header table', source, hex(is64 ? 0x28 : 0x20));
  if (shentsize < minEntsize)
    throw new InputError(
      `section header size ${shentsize} below ${minEntsize}`,
      source,
      hex(is64 ? 0x3a : 0x2e),
    );
  const header = (index: number) => {
    const at = shoff + index * shentsize;
    if (at + minEntsize > bytes.length)
      throw new InputError(
        `section header ${index} past the end of the file (${bytes.length} bytes)`,
        source,
        hex(at),
      );
    return at;
  };
  // Extended numbering (gABI): counts too large for the header live in section header 0.
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    const at = header(0);
    if (shnum === 0)
      shnum = is64 ? u64(view, at + 32, littleEndian, source) : view.getUint32(at + 20, littleEndian);
    if (shstrndx === SHN_XINDEX) shstrndx = view.getUint32(at + (is64 ? 40 : 24), littleEndian);
  }
  if (shoff + shnum * shentsize > bytes.length)
    throw new InputError(
      `${shnum} section headers do not fit in the file (${bytes.length} bytes)`,
      source,
      hex(shoff),
    );
  const raw = [];
  for (let index = 0; index < shnum; index++) {
    const at = header(index);
    const s = is64
      ? {
          nameOffset: view.getUint32(at, littleEndian),
          type: view.getUint32(at + 4, littleEndian),
          flags: view.getUint32(littleEndian ? at + 8 : at + 12, littleEndian),
          offset: u64(view, at + 24, littleEndian, source),
          size: u64(view, at + 32, littleEndian, source),
          link: view.getUint32(at + 40, littleEndian),
          info: view.getUint32(at + 44, littleEndian),
          entsize: u64(view, at + 56, littleEndian, source),
        }
      : {
          nameOffset: view.getUint32(at, littleEndian),
          type: view.getUint32(at + 4, littleEndian),
          flags: view.getUint32(at + 8, littleEndian),
          offset: view.getUint32(at + 16, littleEndian),
          size: view.getUint32(at + 20, littleEndian),
          link: view.getUint32(at + 24, littleEndian),
          info: view.getUint32(at + 28, littleEndian),
          entsize: view.getUint32(at + 36, littleEndian),
        };
    if (s.type !== SHT_NOBITS && s.offset + s.size > bytes.length)
      throw new InputError(
        `section ${index} (${s.size} bytes at 0x${s.offset.toString(16)}) runs past the end of the file (${bytes.length} bytes)`,
        source,
        hex(at),
      );
    raw.push(s);
  }
  if (shstrndx >= raw.length)
    throw new InputError(
      `section name table index ${shstrndx} out of range (${raw.length} sections)`,
      source,
      hex(is64 ? 0x3e : 0x32),
    );
  const names = raw[shstrndx]!;
  const nameTable =
    names.type === SHT_NOBITS ? new Uint8Array(0) : bytes.subarray(names.offset, names.offset + names.size);
  const nameAt = stringTable(nameTable, source, names.offset);
  const sections = raw.map((s, index) => ({
    index,
    name: index === 0 ? '' : nameAt(s.nameOffset),
    type: s.type,
    offset: s.offset,
    size: s.type === SHT_NOBITS ? 0 : s.size,
    link: s.link,
    info: s.info,
    flags: s.flags,
    entsize: s.entsize,
  }));
  return { source, bytes, view, is64, littleEndian, machine, sections, namesIndex: shstrndx };
}

/**
 * Where the section header table lies, from the ELF header alone (the first 64 bytes), so a caller
 * can read it before anything else; undefined when the header uses extended numbering or is not
 * an ELF header (parseElf then says what is wrong).
 */
export function sectionHeaderRange(header: Uint8Array): { offset: number; length: number } | undefined {
  if (
    header.length < 64 ||
    header[0] !== 0x7f ||
    header[1] !== 0x45 ||
    header[2] !== 0x4c ||
    header[3] !== 0x46
  )
    return undefined;
  const is64 = header[4] === 2;
  const littleEndian = header[5] === 1;
  const view = new DataView(header.buffer, header.byteOffset, 64);
  const offset = is64 ? Number(view.getBigUint64(0x28, littleEndian)) : view.getUint32(0x20, littleEndian);
  const entsize = view.getUint16(is64 ? 0x3a : 0x2e, littleEndian);
  const count = view.getUint16(is64 ? 0x3c : 0x30, littleEndian);
  if (count === 0 || !Number.isSafeInteger(offset)) return undefined;
  return { offset, length: count * entsize };
}

/**
 * Where the section name table lies, from the ELF header and the section header table alone (what
 * sectionHeaderRange pointed at), so a caller reading a file in parts can read it before parseElf;
 * undefined when the header says nothing usable (parseElf then says what is wrong).
 */
export function sectionNamesRange(bytes: Uint8Array): { offset: number; length: number } | undefined {
  const table = sectionHeaderRange(bytes);
  if (table === undefined) return undefined;
  const is64 = bytes[4] === 2;
  const littleEndian = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entsize = view.getUint16(is64 ? 0x3a : 0x2e, littleEndian);
  const index = view.getUint16(is64 ? 0x3e : 0x32, littleEndian);
  const at = table.offset + index * entsize;
  if (at + (is64 ? 40 : 24) > bytes.length) return undefined;
  const offset = is64
    ? Number(view.getBigUint64(at + 24, littleEndian))
    : view.getUint32(at + 16, littleEndian);
  const length = is64
    ? Number(view.getBigUint64(at + 32, littleEndian))
    : view.getUint32(at + 20, littleEndian);
  return Number.isSafeInteger(offset + length) ? { offset, length } : undefined;
}

/** The first section with this name. */
export function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((section) => section.name === name);
}

/** A section's bytes (empty for SHT_NOBITS); bounds were checked by parseElf. */
export function sectionBytes(elf: ElfFile, section: ElfSection): Uint8Array {
  return elf.bytes.subarray(section.offset, section.offset + section.size);
}

/**
 * The NUL-terminated string at `offset` of a string table. A string that runs off the end of its
 * table is corrupt input: the kernel would read past the section.
 */
export function cString(table: Uint8Array, offset: number, source: string, tableOffset: number): string {
  if (offset >= table.length) {
    if (offset === 0 && table.length === 0) return '';
    throw new InputError(
      `string offset ${offset} outside its table of ${table.length} bytes`,
      source,
      hex(tableOffset),
    );
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw new InputError('string without terminating NUL', source, hex(tableOffset + offset));
  return decodeText(table.subarray(offset, end));
}

/** Decodes UTF-8 names and modinfo strings (module strings are ASCII nearly always). */
export function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * A string table decoded once: names are then slices of one string, which is much cheaper than a
 * decode per symbol. When the table is not plain ASCII, byte offsets stop matching string offsets
 * and each name is decoded on its own instead.
 */
export function stringTable(
  table: Uint8Array,
  source: string,
  tableOffset: number,
): (offset: number) => string {
  const text = utf8.decode(table);
  const ascii = text.length === table.length && !text.includes('\ufffd');
  return (offset) => {
    if (!ascii) return cString(table, offset, source, tableOffset);
    if (offset >= text.length) return cString(table, offset, source, tableOffset);
    const end = text.indexOf('\0', offset);
    if (end < 0) throw new InputError('string without terminating NUL', source, hex(tableOffset + offset));
    return text.slice(offset, end);
  };
}

function u64(view: DataView, at: number, littleEndian: boolean, source: string): number {
  const high = view.getUint32(littleEndian ? at + 4 : at, littleEndian);
  const low = view.getUint32(littleEndian ? at : at + 4, littleEndian);
  // 2^21 * 2^32 = 2^53: larger offsets and sizes cannot be exact, and no module is that big
  if (high >= 0x200000)
    throw new InputError(
      `value 0x${high.toString(16)}${low.toString(16).padStart(8, '0')} too large`,
      source,
      hex(at),
    );
  return high * 0x100000000 + low;
}
