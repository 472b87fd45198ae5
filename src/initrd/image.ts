import { isModuleFile, moduleNameFromPath } from '../elf/index.js';
import { InputError } from '../input/index.js';
import { type CpioEntry, isCpioAt, parseCpio } from './cpio.js';

/** The compressors the kernel can unpack an initramfs with, by magic (lib/decompress.c). */
export type InitrdCompression = 'gzip' | 'bzip2' | 'lzma' | 'xz' | 'lzo' | 'lz4' | 'zstd';

const MAGICS: ReadonlyArray<readonly [InitrdCompression, ReadonlyArray<number>]> = [
  ['gzip', [0x1f, 0x8b]],
  ['gzip', [0x1f, 0x9e]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00]],
  ['xz', [0xfd, 0x37]],
  ['lzo', [0x89, 0x4c]],
  ['lz4', [0x02, 0x21]],
  ['zstd', [0x28, 0xb5]],
];

/** The compressor whose magic stands at `at`, as decompress_method in lib/decompress.c tells it. */
export function compressionAt(bytes: Uint8Array, at: number): InitrdCompression | undefined {
  return MAGICS.find(([, magic]) => magic.every((byte, i) => bytes[at + i] === byte))?.[0];
}

/** An initrd image cut as the kernel reads it. */
export interface InitrdImage {
  /** entries of the uncompressed archives at the start (early microcode, for instance) */
  readonly entries: ReadonlyArray<CpioEntry>;
  /** the compressed rest, when there is one: the caller decompresses it and calls readArchives */
  readonly compressed?: { readonly compression: InitrdCompression; readonly offset: number };
}

/**
 * Reads an initramfs image the way unpack_to_rootfs in init/initramfs.c walks it: cpio archives
 * one after another, NUL bytes between them skipped, and at the first byte that is neither a cpio
 * header nor NUL, a compressed archive (lib/decompress.c picks the decompressor by magic).
 * Distributions build exactly that: uncompressed early archives (initramfs-tools' and dracut's
 * microcode) then one compressed archive to the end of the file. Something else there is bad input.
 */
export function readInitrdImage(bytes: Uint8Array, source: string): InitrdImage {
  const image = walk(bytes, source, 0, true);
  if (image.entries.length === 0 && image.compressed === undefined)
    throw new InputError('empty initramfs image: no cpio archive', source, 'offset 0x0');
  return image;
}

/**
 * The cpio archives of a decompressed part, one after another with NUL padding between them (a
 * compressed part may hold several). `base` is where the part starts in the image, for errors.
 */
export function readArchives(bytes: Uint8Array, source: string, base: number): CpioEntry[] {
  return [...walk(bytes, source, base, false).entries];
}

function walk(bytes: Uint8Array, source: string, base: number, compressedRest: boolean): InitrdImage {
  const entries: CpioEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0) {
      at++;
      continue;
    }
    const compression = compressedRest && !isCpioAt(bytes, at) ? compressionAt(bytes, at) : undefined;
    if (compression !== undefined) return { entries, compressed: { compression, offset: base + at } };
    if (compressedRest && !isCpioAt(bytes, at))
      throw new InputError(
        'neither a cpio archive (070701) nor a compressed one (gzip, zstd, xz, lz4, lzma, bzip2, lzo): not an initramfs image',
        source,
        `offset 0x${(base + at).toString(16)}`,
      );
    const archive = parseCpio(bytes, at, source, base);
    entries.push(...archive.entries);
    at = archive.end;
  }
  return { entries };
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/**
 * The modules of kernel `release` an initrd holds, in the kernel's form of their names (`-` becomes
 * `_`): regular files under `lib/modules/<release>/` or `usr/lib/modules/<release>/` named `.ko`,
 * `.ko.xz`, `.ko.zst` or `.ko.gz`. Other kernels' modules do not count.
 */
export function initrdModules(entries: ReadonlyArray<CpioEntry>, release: string): string[] {
  const names = new Set<string>();
  for (const entry of entries) {
    if ((entry.mode & S_IFMT) !== S_IFREG || !isModuleFile(entry.path)) continue;
    const path = entry.path.startsWith('usr/') ? entry.path.slice(4) : entry.path;
    if (!path.startsWith(`lib/modules/${release}/`)) continue;
    names.add(moduleNameFromPath(path));
  }
  return [...names].sort();
}
