/**
 * Sizes from the end of an .xz file (the stream footer and index of the .xz file format,
 * https://tukaani.org/xz/xz-file-format.txt sections 2.1.2 and 4), so a caller can cut the output of
 * one `xz -dc` run over many files back into files.
 */

const FOOTER_SIZE = 12;
const HEADER_SIZE = 12;

/** How many bytes from the end of an .xz file xzUncompressedSize wants to see for a typical module. */
export const XZ_TAIL_SIZE = 4096;

/**
 * The uncompressed size of a single-stream .xz file of `fileSize` bytes from its last bytes
 * (`tail`, at most `fileSize` of them); undefined when the tail does not hold the whole index, the
 * file has several streams or stream padding, or anything does not add up: the caller then decodes
 * that file on its own.
 */
export function xzUncompressedSize(tail: Uint8Array, fileSize: number): number | undefined {
  const n = tail.length;
  if (n < FOOTER_SIZE || fileSize < HEADER_SIZE + FOOTER_SIZE) return undefined;
  const footer = n - FOOTER_SIZE;
  // footer magic "YZ" (stream padding would leave zero bytes here instead)
  if (tail[footer + 10] !== 0x59 || tail[footer + 11] !== 0x5a) return undefined;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const indexSize = (view.getUint32(footer + 4, true) + 1) * 4;
  const indexStart = footer - indexSize;
  if (indexStart < 0 || tail[indexStart] !== 0) return undefined;
  let at = indexStart + 1;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 63 && at < footer; shift += 7) {
      const byte = tail[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return Number.isSafeInteger(value) ? value : undefined;
    }
    return undefined;
  };
  const records = varint();
  if (records === undefined) return undefined;
  let uncompressed = 0;
  let blocks = 0;
  for (let i = 0; i < records; i++) {
    const unpadded = varint();
    const size = varint();
    if (unpadded === undefined || size === undefined) return undefined;
    blocks += Math.ceil(unpadded / 4) * 4;
    uncompressed += size;
  }
  // one stream exactly: its header, its blocks, its index and its footer fill the whole file
  if (HEADER_SIZE + blocks + indexSize + FOOTER_SIZE !== fileSize) return undefined;
  return uncompressed;
}
