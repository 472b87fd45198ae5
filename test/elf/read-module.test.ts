import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressModule, readModule } from '../../src/elf/index.js';
import { InputError } from '../../src/input/index.js';
import { type SyntheticModule, writeModule } from '../support/elf-writer.js';

const LONG_NAME = 'a_symbol_name_longer_than_the_fifty_six_bytes_of_struct_modversion_info_x';

const sample: SyntheticModule = {
  modinfo: [
    'license=GPL',
    'name=foo-bar',
    'depends=dm-mod,libcrc32c',
    'intree=Y',
    'import_ns=CRYPTO_INTERNAL',
    'import_ns=DMA_BUF',
    'vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions ',
    'srcversion=ABCDEF0123456789ABCDEF0',
  ],
  versions: [
    { name: 'module_layout', crc: 0x9060323f },
    { name: 'kmalloc_caches', crc: 0xdeadbeef },
    { name: 'dm_get_device', crc: 0xa7d80765 },
  ],
  imports: [{ name: 'kmalloc_caches' }, { name: 'dm_get_device' }, { name: 'maybe_there', weak: true }],
  exports: [
    { name: 'foo_start', crc: 0x12345678 },
    { name: 'foo_stop', crc: 0x87654321, gpl: true, namespace: 'FOO_NS' },
  ],
  buildId: [0x09, 0xf4, 0x29, 0xb7, 0xa1, 0xcb, 0x2f, 0xd2],
  signed: true,
};

const expected = {
  path: 'foo-bar.ko',
  name: 'foo_bar',
  vermagic: '6.1.0-56-amd64 SMP preempt mod_unload modversions ',
  srcversion: 'ABCDEF0123456789ABCDEF0',
  depends: ['dm-mod', 'libcrc32c'],
  intree: true,
  livepatch: false,
  importNs: ['CRYPTO_INTERNAL', 'DMA_BUF'],
  versions: [
    { name: 'module_layout', crc: 0x9060323f },
    { name: 'kmalloc_caches', crc: 0xdeadbeef },
    { name: 'dm_get_device', crc: 0xa7d80765 },
  ],
  undefinedSymbols: [
    { name: 'kmalloc_caches', weak: false },
    { name: 'dm_get_device', weak: false },
    { name: 'maybe_there', weak: true },
  ],
  exports: [
    { name: 'foo_start', crc: 0x12345678, gpl: false },
    { name: 'foo_stop', crc: 0x87654321, gpl: true, namespace: 'FOO_NS' },
  ],
  buildId: '09f429b7a1cb2fd2',
  signed: true,
};

describe('readModule', () => {
  for (const is64 of [true, false])
    for (const littleEndian of [true, false])
      it(`reads a ${is64 ? 64 : 32}-bit ${littleEndian ? 'little' : 'big'}-endian module`, () => {
        const info = readModule(writeModule({ ...sample, is64, littleEndian }), 'foo-bar.ko');
        expect(info).toMatchObject(expected);
        expect(info.modinfo.import_ns).toEqual(['CRYPTO_INTERNAL', 'DMA_BUF']);
      });

  it('takes the CRC of an SHN_ABS __crc_ symbol from its value (kernels before 5.19)', () => {
    const info = readModule(
      writeModule({ exports: [{ name: 'old_style', crc: 0xcafef00d, crcMode: 'abs', gpl: true }] }),
      'old.ko',
    );
    expect(info.exports).toEqual([{ name: 'old_style', crc: 0xcafef00d, gpl: true }]);
  });

  it('lets the extended modversions tables win over __versions, keeping names over 56 bytes', () => {
    const info = readModule(
      writeModule({
        versions: [{ name: 'short', crc: 1 }],
        extVersions: [
          { name: 'short', crc: 2 },
          { name: LONG_NAME, crc: 0xfeedface },
        ],
      }),
      'ext.ko',
    );
    expect(info.versions).toEqual([
      { name: 'short', crc: 2 },
      { name: LONG_NAME, crc: 0xfeedface },
    ]);
  });

  it('exports without modversions have no CRC', () => {
    const info = readModule(writeModule({ exports: [{ name: 'plain' }] }), 'p.ko');
    expect(info.exports).toEqual([{ name: 'plain', crc: undefined, gpl: false }]);
  });

  it('derives the name from the path when .modinfo has none, and reads an unsigned module', () => {
    const info = readModule(writeModule({}), '/lib/modules/x/kernel/my-mod.ko');
    expect(info).toMatchObject({
      name: 'my_mod',
      signed: false,
      buildId: undefined,
      versions: [],
      depends: [],
    });
  });

  it('reads livepatch=Y', () => {
    expect(readModule(writeModule({ modinfo: ['livepatch=Y', 'name=livepatch_x'] }), 'l.ko').livepatch).toBe(
      true,
    );
  });

  it('reads gzip and zstd compressed modules the same', () => {
    const raw = writeModule(sample);
    expect(readModule(decompressModule(gzipSync(raw), 'f.ko.gz'), 'foo-bar.ko')).toEqual(
      readModule(raw, 'foo-bar.ko'),
    );
    // a zstd frame of the same bytes, stored uncompressed (raw block): header, one last raw block
    const zst = new Uint8Array(4 + 1 + 4 + 3 + raw.length);
    zst.set([0x28, 0xb5, 0x2f, 0xfd, 0xa0]); // magic; FHD: single segment, 4-byte content size (RFC 8878 3.1.1.1.1)
    new DataView(zst.buffer).setUint32(5, raw.length, true);
    const blockHeader = (raw.length << 3) | 1; // last block, raw
    zst.set([blockHeader & 0xff, (blockHeader >> 8) & 0xff, (blockHeader >> 16) & 0xff], 9);
    zst.set(raw, 12);
    expect(readModule(decompressModule(zst, 'f.ko.zst'), 'foo-bar.ko')).toEqual(
      readModule(raw, 'foo-bar.ko'),
    );
  });
});

describe('readModule on bad input', () => {
  const bad = (bytes: Uint8Array) => {
    try {
      readModule(bytes, 'bad.ko');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return error as InputError;
    }
    throw new Error('expected an InputError');
  };

  it('rejects a wrong magic', () => {
    const bytes = writeModule(sample);
    bytes[0] = 0;
    expect(bad(bytes)).toMatchObject({ source: 'bad.ko', location: 'offset 0x0' });
  });

  it('rejects a truncated file at every length, naming an offset', () => {
    const bytes = writeModule(sample);
    for (let length = 0; length < bytes.length - 200; length += 7) {
      const error = bad(bytes.subarray(0, length));
      expect(error.location).toMatch(/^offset 0x[0-9a-f]+$/);
    }
  });

  it('rejects a section offset past the end of the file', () => {
    const bytes = writeModule(sample);
    const view = new DataView(bytes.buffer);
    const shoff = Number(view.getBigUint64(0x28, true));
    view.setBigUint64(shoff + 64 + 24, 0xffffffn, true); // section 1's sh_offset
    expect(bad(bytes).detail).toMatch(/runs past the end of the file/);
  });

  it('rejects __versions whose size is not a multiple of 64', () => {
    const bytes = writeModule({ versions: [{ name: 'x', crc: 1 }] });
    const view = new DataView(bytes.buffer);
    const shoff = Number(view.getBigUint64(0x28, true));
    view.setBigUint64(shoff + 64 + 32, 63n, true); // section 1 (__versions) sh_size
    expect(bad(bytes).detail).toMatch(/__versions is 63 bytes/);
  });

  it('rejects a relocatable-looking file of another ELF type', () => {
    const bytes = writeModule(sample);
    bytes[16] = 2; // ET_EXEC
    expect(bad(bytes).detail).toMatch(/not relocatable/);
  });

  it('names corrupt gzip data', () => {
    const gz = gzipSync(writeModule(sample));
    gz[gz.length - 5] = gz[gz.length - 5]! ^ 0xff;
    expect(() => decompressModule(gz, 'f.ko.gz')).toThrow(InputError);
  });
});
