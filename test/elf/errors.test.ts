import { describe, expect, it } from 'vitest';
import { decompressModule, parseElf, readModule } from '../../src/elf/index.js';
import { InputError } from '../../src/input/index.js';
import { type SyntheticModule, writeModule } from '../support/elf-writer.js';

/** Each message a corrupt module can earn, triggered by patching one field of a valid 64-bit LE module. */

const SOURCE = 'broken.ko';
const spec: SyntheticModule = {
  modinfo: ['name=broken', 'vermagic=6.1.0 SMP'],
  versions: [{ name: 'module_layout', crc: 1 }],
  imports: [{ name: 'printk' }],
  exports: [{ name: 'broken_start', crc: 0x1234 }],
};

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A fresh copy of a valid module and where its section headers lie. */
function module(overrides: Partial<SyntheticModule> = {}) {
  const bytes = Uint8Array.from(writeModule({ ...spec, ...overrides }));
  const elf = parseElf(bytes, SOURCE);
  const shoff = Number(view(bytes).getBigUint64(0x28, true));
  const index = (name: string) => {
    const found = elf.sections.find((s) => s.name === name);
    if (found === undefined) throw new Error(`no section ${name}`);
    return found.index;
  };
  const header = (i: number) => shoff + i * 64;
  const symtab = elf.sections.find((s) => s.type === 2)!;
  return { bytes, elf, shoff, index, header, symtab, dv: view(bytes) };
}

function failure(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

const read = (bytes: Uint8Array) => failure(() => readModule(bytes, SOURCE));

describe('ELF header errors', () => {
  it('bad magic', () => {
    expect(read(new Uint8Array(64)).message).toBe(
      'broken.ko: offset 0x0: not an ELF file (bad magic): expected a kernel module (.ko)',
    );
  });

  it('unknown class and data encoding', () => {
    const a = module().bytes;
    a[4] = 3;
    expect(read(a).message).toBe('broken.ko: offset 0x4: unknown ELF class 3');
    const b = module().bytes;
    b[5] = 0;
    expect(read(b).message).toBe('broken.ko: offset 0x5: unknown ELF data encoding 0');
  });

  it('an ELF64 file cut inside its header', () => {
    expect(read(module().bytes.subarray(0, 60)).message).toBe(
      'broken.ko: offset 0x0: file too short for an ELF64 header',
    );
  });

  it('not relocatable', () => {
    const { bytes, dv } = module();
    dv.setUint16(16, 3, true);
    expect(read(bytes).message).toBe(
      'broken.ko: offset 0x10: ELF type 3 is not relocatable (1): not a kernel module',
    );
  });

  it('no section header table', () => {
    const { bytes, dv } = module();
    dv.setBigUint64(0x28, 0n, true);
    expect(read(bytes).message).toBe('broken.ko: offset 0x28: no section header table');
  });

  it('section header size too small', () => {
    const { bytes, dv } = module();
    dv.setUint16(0x3a, 10, true);
    expect(read(bytes).message).toBe('broken.ko: offset 0x3a: section header size 10 below 64');
  });

  it('section header 0 past the end (extended numbering)', () => {
    const { bytes, dv } = module();
    const at = bytes.length - 10;
    dv.setBigUint64(0x28, BigInt(at), true);
    dv.setUint16(0x3c, 0, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${at.toString(16)}: section header 0 past the end of the file (${bytes.length} bytes)`,
    );
  });

  it('more section headers than fit', () => {
    const { bytes, dv, shoff } = module();
    dv.setUint16(0x3c, 1000, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${shoff.toString(16)}: 1000 section headers do not fit in the file (${bytes.length} bytes)`,
    );
  });

  it('a section that runs past the end', () => {
    const { bytes, dv, header, elf } = module();
    dv.setBigUint64(header(1) + 32, 0x100000n, true);
    const offset = elf.sections[1]!.offset.toString(16);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${header(1).toString(16)}: section 1 (1048576 bytes at 0x${offset}) runs past the end of the file (${bytes.length} bytes)`,
    );
  });

  it('section name table index out of range', () => {
    const { bytes, dv, elf } = module();
    dv.setUint16(0x3e, 200, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x3e: section name table index 200 out of range (${elf.sections.length} sections)`,
    );
  });
});

describe('string table errors', () => {
  it('a section name offset outside the name table', () => {
    const { bytes, dv, header, elf } = module();
    dv.setUint32(header(1), 99999, true);
    const names = elf.sections[elf.namesIndex]!;
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${names.offset.toString(16)}: string offset 99999 outside its table of ${names.size} bytes`,
    );
  });

  it('a section name without terminating NUL (ASCII table)', () => {
    const { bytes, dv, header, elf } = module();
    const names = elf.sections[elf.namesIndex]!;
    bytes[names.offset + names.size - 1] = 0x78;
    dv.setUint32(header(1), names.size - 1, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${(names.offset + names.size - 1).toString(16)}: string without terminating NUL`,
    );
  });

  it('a section name without terminating NUL (non-ASCII table)', () => {
    const { bytes, dv, header, elf } = module();
    const names = elf.sections[elf.namesIndex]!;
    bytes[names.offset + names.size - 1] = 0x78;
    bytes[names.offset + names.size - 2] = 0xff;
    dv.setUint32(header(1), names.size - 2, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${(names.offset + names.size - 2).toString(16)}: string without terminating NUL`,
    );
  });
});

describe('__versions errors', () => {
  it('__versions not a whole number of entries', () => {
    const { bytes, dv, header, index, elf } = module();
    const i = index('__versions');
    dv.setBigUint64(header(i) + 32, 65n, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${elf.sections[i]!.offset.toString(16)}: __versions is 65 bytes, not a multiple of 64`,
    );
  });

  const ext = { extVersions: [{ name: 'ext_one', crc: 7 }] };

  it('__version_ext_crcs not a multiple of 4', () => {
    const { bytes, dv, header, index, elf } = module(ext);
    const i = index('__version_ext_crcs');
    dv.setBigUint64(header(i) + 32, 6n, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${elf.sections[i]!.offset.toString(16)}: __version_ext_crcs is 6 bytes, not a multiple of 4`,
    );
  });

  it('__version_ext_names with fewer names than CRCs', () => {
    const { bytes, dv, header, index, elf } = module(ext);
    const i = index('__version_ext_names');
    dv.setBigUint64(header(i) + 32, 0n, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${elf.sections[i]!.offset.toString(16)}: __version_ext_names has fewer names than the 1 CRCs of __version_ext_crcs`,
    );
  });
});

describe('.symtab errors', () => {
  it('.symtab not a whole number of symbols', () => {
    const { bytes, dv, header, symtab } = module();
    dv.setBigUint64(header(symtab.index) + 32, BigInt(symtab.size - 1), true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${symtab.offset.toString(16)}: .symtab is ${symtab.size - 1} bytes, not a multiple of 24`,
    );
  });

  it('.symtab linking to a missing string table', () => {
    const { bytes, dv, header, symtab } = module();
    dv.setUint32(header(symtab.index) + 40, 999, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${symtab.offset.toString(16)}: .symtab links to missing string table 999`,
    );
  });

  it('a symbol name offset outside .strtab', () => {
    const { bytes, dv, symtab, elf } = module();
    const strtab = elf.sections[symtab.link]!;
    const at = symtab.offset + 24;
    dv.setUint32(at, 99999, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${at.toString(16)}: symbol 1 names string offset 99999 outside .strtab (${strtab.size} bytes)`,
    );
  });

  it('a __crc_ symbol pointing outside its section', () => {
    const { bytes, dv, symtab, elf } = module();
    const strtab = elf.sections[symtab.link]!;
    const text = new TextDecoder().decode(bytes.subarray(strtab.offset, strtab.offset + strtab.size));
    let at = -1;
    for (let s = symtab.offset + 24; s < symtab.offset + symtab.size; s += 24) {
      const name = dv.getUint32(s, true);
      if (text.slice(name, text.indexOf('\0', name)) === '__crc_broken_start') at = s;
    }
    expect(at).toBeGreaterThan(0);
    const shndx = dv.getUint16(at + 6, true);
    dv.setBigUint64(at + 8, 0x1000n, true);
    expect(read(bytes).message).toBe(
      `broken.ko: offset 0x${at.toString(16)}: CRC symbol points outside its section (index ${shndx}, offset 0x1000)`,
    );
  });
});

describe('decompressModule', () => {
  it('leaves xz to the caller', () => {
    const xz = Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
    expect(failure(() => decompressModule(xz, 'm.ko.xz')).message).toBe(
      'm.ko.xz: offset 0x0: xz data must be decompressed by the caller',
    );
  });
});
