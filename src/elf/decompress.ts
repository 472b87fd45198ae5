import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { InputError, isGzip } from '../input/index.js';

/** How a module file is compressed, from its first bytes (kmod's kmod_file_open does the same). */
export type ModuleCompression = 'none' | 'gzip' | 'xz' | 'zstd';

/** Recognises the gzip, xz and zstd magic numbers. */
export function compressionOf(bytes: Uint8Array): ModuleCompression {
  if (isGzip(bytes)) return 'gzip';
  if (
    bytes[0] === 0xfd &&
    bytes[1] === 0x37 &&
    bytes[2] === 0x7a &&
    bytes[3] === 0x58 &&
    bytes[4] === 0x5a &&
    bytes[5] === 0
  )
    return 'xz';
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Decompresses a `.ko.gz` or `.ko.zst` in memory (a pure byte transform); plain ELF comes back as is.
 * xz is not handled here: no maintained pure decoder supports Node 20, so src/host runs `xz -dc`.
 */
export function decompressModule(bytes: Uint8Array, source: string): Uint8Array {
  const kind = compressionOf(bytes);
  try {
    if (kind === 'gzip') return gunzipSync(bytes);
    if (kind === 'zstd') return zstdDecompress(bytes);
  } catch (error) {
    throw new InputError(`corrupt ${kind} data: ${(error as Error).message}`, source, 'offset 0x0');
  }
  if (kind === 'xz') throw new InputError('xz data must be decompressed by the caller', source, 'offset 0x0');
  return bytes;
}
