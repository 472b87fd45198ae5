/**
 * Writes small ELF relocatable kernel modules for tests, laid out as the ELF gABI and the kernel's
 * module sections say (struct modversion_info, SYMBOL_CRC, NT_GNU_BUILD_ID), independently of
 * src/elf: 32/64-bit, either endianness.
 */

export interface SyntheticExport {
  readonly name: string;
  readonly crc?: number;
  readonly gpl?: boolean;
  /** `section` (default): `__crc_<sym>` is an offset into `__kcrctab*`; `abs`: an SHN_ABS value */
  readonly crcMode?: 'section' | 'abs';
  /** EXPORT_SYMBOL_NS: `__kstrtabns_<sym>` points at this string in `__ksymtab_strings` */
  readonly namespace?: string;
}

export interface SyntheticModule {
  readonly is64?: boolean;
  readonly littleEndian?: boolean;
  readonly machine?: number;
  /** `key=value` strings of `.modinfo` */
  readonly modinfo?: ReadonlyArray<string>;
  readonly versions?: ReadonlyArray<{ readonly name: string; readonly crc: number }>;
  readonly extVersions?: ReadonlyArray<{ readonly name: string; readonly crc: number }>;
  readonly imports?: ReadonlyArray<{ readonly name: string; readonly weak?: boolean }>;
  readonly exports?: ReadonlyArray<SyntheticExport>;
  readonly buildId?: ReadonlyArray<number>;
  readonly signed?: boolean;
}

interface Section {
  name: string;
  type: number;
  data: Uint8Array;
  link?: number;
  entsize?: number;
}

const enc = new TextEncoder();
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOTE = 7;
const SHN_ABS = 0xfff1;

class Bytes {
  readonly parts: number[] = [];
  constructor(readonly littleEndian: boolean) {}
  u8(v: number) {
    this.parts.push(v & 0xff);
  }
  u16(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.littleEndian ? b : b.reverse()));
  }
  u32(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.littleEndian ? b : b.reverse()));
  }
  u64(v: number) {
    const lo = v % 2 ** 32;
    const hi = Math.floor(v / 2 ** 32);
    if (this.littleEndian) {
      this.u32(lo);
      this.u32(hi);
    } else {
      this.u32(hi);
      this.u32(lo);
    }
  }
  word(is64: boolean, v: number) {
    if (is64) this.u64(v);
    else this.u32(v);
  }
  raw(bytes: ArrayLike<number>) {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
  }
  pad(to: number) {
    while (this.parts.length % to !== 0) this.parts.push(0);
  }
  get length() {
    return this.parts.length;
  }
  bytes() {
    return Uint8Array.from(this.parts);
  }
}

class StringTable {
  readonly bytes: number[] = [0];
  add(s: string): number {
    const at = this.bytes.length;
    this.bytes.push(...enc.encode(s), 0);
    return at;
  }
}

/** Builds the bytes of a module file from a description. */
export function writeModule(spec: SyntheticModule): Uint8Array {
  const is64 = spec.is64 ?? true;
  const le = spec.littleEndian ?? true;
  const sections: Section[] = [{ name: '', type: 0, data: new Uint8Array(0) }];
  const add = (s: Section) => sections.push(s) - 1;
  const b = () => new Bytes(le);

  if (spec.modinfo) {
    const m = b();
    for (const entry of spec.modinfo) m.raw([...enc.encode(entry), 0]);
    add({ name: '.modinfo', type: SHT_PROGBITS, data: m.bytes() });
  }
  if (spec.versions) {
    const v = b();
    for (const { name, crc } of spec.versions) {
      v.word(is64, crc);
      const field = new Uint8Array(is64 ? 56 : 60);
      field.set(enc.encode(name).subarray(0, field.length - 1));
      v.raw(field);
    }
    add({ name: '__versions', type: SHT_PROGBITS, data: v.bytes() });
  }
  if (spec.extVersions) {
    const crcs = b();
    const names = b();
    for (const { name, crc } of spec.extVersions) {
      crcs.u32(crc);
      names.raw([...enc.encode(name), 0]);
    }
    add({ name: '__version_ext_crcs', type: SHT_PROGBITS, data: crcs.bytes() });
    add({ name: '__version_ext_names', type: SHT_PROGBITS, data: names.bytes() });
  }
  const exports = spec.exports ?? [];
  const ksymtab = { plain: [] as SyntheticExport[], gpl: [] as SyntheticExport[] };
  for (const e of exports) (e.gpl ? ksymtab.gpl : ksymtab.plain).push(e);
  const exportSections = new Map<string, number>();
  for (const [kind, list] of Object.entries(ksymtab)) {
    if (list.length === 0) continue;
    const suffix = kind === 'gpl' ? '_gpl' : '';
    // struct kernel_symbol with PREL32 offsets: 3 x 4 bytes; contents do not matter here
    exportSections.set(
      `__ksymtab${suffix}`,
      add({ name: `__ksymtab${suffix}`, type: SHT_PROGBITS, data: new Uint8Array(list.length * 12) }),
    );
    const crcs = b();
    for (const e of list) if ((e.crcMode ?? 'section') === 'section' && e.crc !== undefined) crcs.u32(e.crc);
    if (crcs.length > 0)
      exportSections.set(
        `__kcrctab${suffix}`,
        add({ name: `__kcrctab${suffix}`, type: SHT_PROGBITS, data: crcs.bytes() }),
      );
  }
  // __ksymtab_strings: each export's name, then its namespace ('' when none), as __KSYMTAB lays them out
  const kstr = new StringTable();
  const kstrAt = new Map<string, { name: number; ns: number }>();
  for (const e of exports) kstrAt.set(e.name, { name: kstr.add(e.name), ns: kstr.add(e.namespace ?? '') });
  const kstrIndex =
    exports.length === 0
      ? -1
      : add({ name: '__ksymtab_strings', type: SHT_PROGBITS, data: Uint8Array.from(kstr.bytes) });
  if (spec.buildId) {
    const n = b();
    n.u32(4);
    n.u32(spec.buildId.length);
    n.u32(3);
    n.raw([0x47, 0x4e, 0x55, 0]);
    n.raw(spec.buildId);
    n.pad(4);
    add({ name: '.note.gnu.build-id', type: SHT_NOTE, data: n.bytes() });
  }

  const strtab = new StringTable();
  const sym = b();
  const symbol = (name: string, info: number, shndx: number, value: number) => {
    const nameOffset = name === '' ? 0 : strtab.add(name);
    if (is64) {
      sym.u32(nameOffset);
      sym.u8(info);
      sym.u8(0);
      sym.u16(shndx);
      sym.u64(value);
      sym.u64(0);
    } else {
      sym.u32(nameOffset);
      sym.u32(value);
      sym.u32(0);
      sym.u8(info);
      sym.u8(0);
      sym.u16(shndx);
    }
  };
  symbol('', 0, 0, 0);
  for (const [kind, list] of Object.entries(ksymtab)) {
    const suffix = kind === 'gpl' ? '_gpl' : '';
    let crcOffset = 0;
    list.forEach((e, i) => {
      symbol(`__ksymtab_${e.name}`, 0, exportSections.get(`__ksymtab${suffix}`)!, i * 12);
      symbol(`__kstrtab_${e.name}`, 0, kstrIndex, kstrAt.get(e.name)!.name);
      symbol(`__kstrtabns_${e.name}`, 0, kstrIndex, kstrAt.get(e.name)!.ns);
      if (e.crc === undefined) return;
      if ((e.crcMode ?? 'section') === 'abs') symbol(`__crc_${e.name}`, 0, SHN_ABS, e.crc);
      else {
        symbol(`__crc_${e.name}`, 0, exportSections.get(`__kcrctab${suffix}`)!, crcOffset);
        crcOffset += 4;
      }
    });
  }
  for (const imp of spec.imports ?? []) symbol(imp.name, (imp.weak ? 2 : 1) << 4, 0, 0);
  const strtabIndex = sections.length + 1;
  add({ name: '.symtab', type: SHT_SYMTAB, data: sym.bytes(), link: strtabIndex, entsize: is64 ? 24 : 16 });
  add({ name: '.strtab', type: SHT_STRTAB, data: Uint8Array.from(strtab.bytes) });
  const shstrtab = new StringTable();
  const nameOffsets = sections.map((s) => (s.name === '' ? 0 : shstrtab.add(s.name)));
  nameOffsets.push(shstrtab.add('.shstrtab'));
  sections.push({ name: '.shstrtab', type: SHT_STRTAB, data: Uint8Array.from(shstrtab.bytes) });

  const headerSize = is64 ? 64 : 52;
  const out = b();
  out.raw(new Uint8Array(headerSize));
  const offsets: number[] = [];
  for (const s of sections) {
    out.pad(8);
    offsets.push(out.length);
    out.raw(s.data);
  }
  out.pad(8);
  const shoff = out.length;
  for (const [i, s] of sections.entries()) {
    out.u32(nameOffsets[i]!);
    out.u32(s.type);
    out.word(is64, 0); // flags
    out.word(is64, 0); // addr
    out.word(is64, i === 0 ? 0 : offsets[i]!);
    out.word(is64, s.data.length);
    out.u32(s.link ?? 0);
    out.u32(0);
    out.word(is64, 8);
    out.word(is64, s.entsize ?? 0);
  }
  const h = b();
  h.raw([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  h.u16(1); // ET_REL
  h.u16(spec.machine ?? (is64 ? 62 : 3));
  h.u32(1);
  h.word(is64, 0); // entry
  h.word(is64, 0); // phoff
  h.word(is64, shoff);
  h.u32(0); // flags
  h.u16(headerSize);
  h.u16(0);
  h.u16(0);
  h.u16(is64 ? 64 : 40);
  h.u16(sections.length);
  h.u16(sections.length - 1);
  const file = out.bytes();
  file.set(h.bytes(), 0);
  if (!spec.signed) return file;
  const marker = enc.encode('~Module signature appended~\n');
  const signed = new Uint8Array(file.length + 16 + marker.length);
  signed.set(file);
  signed.set(marker, file.length + 16);
  return signed;
}
