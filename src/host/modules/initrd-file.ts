import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { type InitrdCompression, initrdModules, readArchives, readInitrdImage } from '../../initrd/index.js';
import { InputError } from '../../input/index.js';
import { readFileBytes } from '../files.js';

/** Where distributions put a kernel's initramfs image, relative to the root, in the order tried. */
export function initrdPlaces(release: string): string[] {
  return [
    `/boot/initrd.img-${release}`, // Debian, Ubuntu (initramfs-tools)
    `/boot/initramfs-${release}.img`, // Fedora, RHEL (dracut)
    `/boot/initrd-${release}`, // SUSE (dracut)
  ];
}

/**
 * Native decoders for what neither zlib nor fzstd decodes; each reads stdin and writes stdout, and
 * stops at the end of its data (a compressed initramfs part runs to the end of the image).
 */
const TOOLS: Readonly<Record<Exclude<InitrdCompression, 'gzip' | 'zstd'>, readonly [string, ...string[]]>> = {
  xz: ['xz', '-dc'],
  lzma: ['xz', '--format=lzma', '-dc'],
  lz4: ['lz4', '-dc'],
  bzip2: ['bzip2', '-dc'],
  lzo: ['lzop', '-dc'],
};

/** The modules of kernel `release` that the initramfs image at `path` holds (initrdModules). */
export async function readInitrdModules(path: string, release: string): Promise<string[]> {
  const bytes = await readFileBytes(path);
  const image = readInitrdImage(bytes, path);
  if (image.compressed === undefined) return initrdModules(image.entries, release);
  const { compression, offset } = image.compressed;
  const part = decompressPadded(compression, bytes.subarray(offset), path, offset);
  return initrdModules([...image.entries, ...readArchives(part, path, offset)], release);
}

/**
 * The kernel skips NUL padding after a compressed part (it knows where the part ended); zstd and lz4
 * refuse it as trailing data, so a failed decode is tried again without it, ending at each of the
 * last few NULs in case the data itself ended in some.
 */
function decompressPadded(
  kind: InitrdCompression,
  bytes: Uint8Array,
  path: string,
  offset: number,
): Uint8Array {
  let data = bytes.length;
  while (data > 0 && bytes[data - 1] === 0) data--;
  if (data === bytes.length) return decompress(kind, bytes, path, offset);
  try {
    return decompress(kind, bytes, path, offset);
  } catch (error) {
    for (let end = data; end < Math.min(bytes.length, data + 8); end++)
      try {
        return decompress(kind, bytes.subarray(0, end), path, offset);
      } catch {
        // the next length, or the first error
      }
    throw error;
  }
}

function decompress(kind: InitrdCompression, bytes: Uint8Array, path: string, offset: number): Uint8Array {
  const where = `offset 0x${offset.toString(16)}`;
  if (kind === 'gzip' || kind === 'zstd')
    try {
      return kind === 'gzip' ? gunzipSync(bytes) : zstdDecompress(bytes);
    } catch (error) {
      throw new InputError(`corrupt ${kind} archive: ${(error as Error).message}`, path, where);
    }
  const [command, ...args] = TOOLS[kind];
  const run = spawnSync(command, args, { input: bytes, maxBuffer: 2 ** 31 - 1 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new InputError(
      `cannot read the initramfs's ${kind} archive: install ${command}, or give --initrd-modules`,
      path,
      where,
    );
  if (run.status !== 0)
    throw new InputError(
      `corrupt ${kind} archive (${command}: ${String(run.stderr).trim().split('\n')[0] || `exit ${run.status}`})`,
      path,
      where,
    );
  return run.stdout;
}
