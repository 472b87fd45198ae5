import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readInitrdModules } from '../../src/host/modules/initrd-file.js';
import { initrdModules, parseCpio, readArchives, readInitrdImage } from '../../src/initrd/index.js';
import { InputError } from '../../src/input/input-error.js';
import { compress, cpioArchive, cpioList, hasCommand, type Tree } from '../support/initramfs.js';

const K = '6.1.0-9-amd64';
// what initramfs-tools lays out: modules of this kernel under usr/lib/modules, another kernel's, other files
const main: Tree = {
  'usr/lib/modules/6.1.0-9-amd64/kernel/drivers/md/dm-mod.ko': 'elf',
  'usr/lib/modules/6.1.0-9-amd64/kernel/drivers/md/raid1.ko.xz': 'xz',
  'usr/lib/modules/6.1.0-9-amd64/kernel/drivers/nvme/host/nvme-core.ko.zst': 'zst',
  'lib/modules/6.1.0-9-amd64/extra/vendor_net.ko.gz': 'gz',
  'usr/lib/modules/6.1.0-9-amd64/kernel/drivers/md/alias.ko': { link: 'dm-mod.ko' },
  'usr/lib/modules/6.1.0-9-amd64/modules.dep': 'deps',
  'usr/lib/modules/6.1.0-8-amd64/kernel/old.ko': 'old',
  'usr/bin/busybox': 'sh',
  'var/empty': { dir: true },
};
// derived here from the tree, not by the code under test: regular module files of K, kernel names
const expectedModules = ['dm_mod', 'nvme_core', 'raid1', 'vendor_net'];
const early = () => cpioArchive({ 'kernel/x86/microcode/GenuineIntel.bin': 'microcode' });

const compressors: Array<[string, string[]]> = [
  ['gzip', ['gzip', '-9c']],
  ['zstd', ['zstd', '-q', '-c']],
  ['xz', ['xz', '--check=crc32', '-c']],
  ['lz4', ['lz4', '-l', '-q', '-c']],
  ['lzma', ['xz', '--format=lzma', '-c']],
  ['bzip2', ['bzip2', '-c']],
];

function imageFile(bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'klpm-initrd-')), 'initrd.img');
  writeFileSync(path, bytes);
  return path;
}

describe('cpio archives', () => {
  it('lists the same paths as the real cpio -it', () => {
    const archive = cpioArchive(main);
    const { entries, end } = parseCpio(archive, 0, 'main.cpio');
    // cpio -it prints the root as `.`, which cpioList leaves out
    expect(
      entries
        .map((e) => e.path)
        .filter((path) => path !== '.')
        .sort(),
    ).toEqual(cpioList(archive).sort());
    expect(end).toBeLessThanOrEqual(archive.length);
    expect(initrdModules(entries, K)).toEqual(expectedModules);
  });
});

describe('initramfs images', () => {
  it('reads an uncompressed image of two archives with padding between them', () => {
    const bytes = Buffer.concat([early(), Buffer.alloc(512), cpioArchive(main)]);
    const image = readInitrdImage(bytes, 'initrd.img');
    expect(image.compressed).toBeUndefined();
    expect(image.entries.map((e) => e.path)).toContain('kernel/x86/microcode/GenuineIntel.bin');
    expect(initrdModules(image.entries, K)).toEqual(expectedModules);
  });

  for (const [name, command] of compressors)
    it.skipIf(!hasCommand(command[0]!))(
      `reads an early archive then a ${name} one, made by the real ${command[0]}`,
      async () => {
        const archive = cpioArchive(main);
        const bytes = Buffer.concat([early(), compress(command, archive)]);
        const image = readInitrdImage(bytes, 'initrd.img');
        expect(image.compressed).toEqual({ compression: name, offset: early().length });
        expect(await readInitrdModules(imageFile(bytes), K)).toEqual(expectedModules);
        // with NUL padding after the compressed part, as the kernel tolerates
        expect(await readInitrdModules(imageFile(Buffer.concat([bytes, Buffer.alloc(4)])), K)).toEqual(
          expectedModules,
        );
      },
    );

  it('reads several archives inside one compressed part', async () => {
    const part = Buffer.concat([
      cpioArchive({ 'usr/lib/modules/6.1.0-9-amd64/a.ko': 'a' }),
      cpioArchive(main),
    ]);
    const bytes = Buffer.concat([early(), compress(['gzip', '-c'], part)]);
    expect(await readInitrdModules(imageFile(bytes), K)).toEqual(['a', ...expectedModules]);
  });
});

describe('bad initramfs images', () => {
  const archive = () => cpioArchive(main);
  const error = (bytes: Uint8Array) => {
    try {
      const image = readInitrdImage(bytes, 'initrd.img');
      return image.compressed === undefined ? 'parsed' : 'compressed';
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as InputError).message;
    }
  };

  it('names the file and the offset of a truncated archive, a bad header and garbage', () => {
    const a = archive();
    expect(error(a.subarray(0, 300))).toMatch(/^initrd.img: offset 0x[0-9a-f]+: cpio (data|name|header)/);
    expect(error(a.subarray(0, a.length - 200))).toMatch(/truncated before TRAILER!!!|runs past the end/);
    const badField = Buffer.from(a);
    badField.write('zzzzzzzz', 6 + 6 * 8, 'latin1');
    expect(error(badField)).toBe('initrd.img: offset 0x36: cpio header field "zzzzzzzz" is not 8 hex digits');
    expect(error(Buffer.concat([a, Buffer.from('garbage!')]))).toBe(
      `initrd.img: offset 0x${a.length.toString(16)}: neither a cpio archive (070701) nor a compressed one (gzip, zstd, xz, lz4, lzma, bzip2, lzo): not an initramfs image`,
    );
    expect(error(Buffer.alloc(16))).toBe('initrd.img: offset 0x0: empty initramfs image: no cpio archive');
    const longName = Buffer.from(a);
    longName.write('7fffffff', 6 + 11 * 8, 'latin1');
    expect(error(longName)).toMatch(
      /^initrd.img: offset 0x0: cpio name of 2147483647 bytes runs past the end/,
    );
  });

  it('reports a corrupt compressed part with its offset', async () => {
    const bytes = Buffer.concat([early(), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7])]);
    await expect(readInitrdModules(imageFile(bytes), K)).rejects.toThrow(
      `offset 0x${early().length.toString(16)}: corrupt gzip archive`,
    );
  });

  it('parses or throws InputError for any mutation, never anything else', () => {
    const base = Buffer.concat([early(), cpioArchive(main)]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(base.length),
        (flips, cut) => {
          const bytes = Buffer.from(base.subarray(0, cut));
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          try {
            const image = readInitrdImage(bytes, 'fuzz.img');
            if (image.compressed === undefined) initrdModules(image.entries, K);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
          }
          try {
            readArchives(bytes, 'fuzz.img', 0);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
