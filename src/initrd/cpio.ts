import { InputError } from '../input/index.js';

/** One file of a cpio archive. */
export interface CpioEntry {
  /** as stored, without a leading `./` or `/` */
  readonly path: string;
  readonly mode: number;
  readonly size: number;
  /** where the entry's header starts in the bytes given */
  readonly offset: number;
}

const HEADER = 110;
const TRAILER = 'TRAILER!!!';
const hex = (offset: number) => `offset 0x${offset.toString(16)}`;
const pad4 = (n: number) => (n + 3) & ~3;
const latin1 = new TextDecoder('latin1');

/** Whether `bytes` holds a "newc" (`070701`) or "crc" (`070702`) cpio header at `at`. */
export function isCpioAt(bytes: Uint8Array, at: number): boolean {
  if (at + 6 > bytes.length) return false;
  const magic = latin1.decode(bytes.subarray(at, at + 6));
  return magic === '070701' || magic === '070702';
}

/**
 * Reads one cpio archive in the "newc" or "crc" format the kernel unpacks (init/initramfs.c:
 * do_header accepts only these two magics): 110 ASCII bytes of header (the magic and 13 fields of
 * 8 hex digits), the name (its size counts the NUL) padded to 4 bytes from the header's start, the
 * data padded to 4 bytes, up to the `TRAILER!!!` entry. `at` is where the archive starts in
 * `bytes`; returns its entries and where it ends (after the trailer's padding). Offsets in errors
 * are `base` plus the position in `bytes` (the position in the image, for a decompressed part).
 */
export function parseCpio(
  bytes: Uint8Array,
  at: number,
  source: string,
  base = 0,
): { entries: CpioEntry[]; end: number } {
  const entries: CpioEntry[] = [];
  let pos = at;
  for (;;) {
    if (pos + HEADER > bytes.length)
      throw new InputError(
        `cpio header cut short (${bytes.length - pos} of ${HEADER} bytes): archive truncated before TRAILER!!!`,
        source,
        hex(base + pos),
      );
    if (!isCpioAt(bytes, pos))
      throw new InputError(
        `no cpio magic: expected 070701 or 070702 (newc), found "${latin1.decode(bytes.subarray(pos, pos + 6))}"`,
        source,
        hex(base + pos),
      );
    const field = (index: number) => {
      const start = pos + 6 + index * 8;
      const text = latin1.decode(bytes.subarray(start, start + 8));
      if (!/^[0-9a-fA-F]{8}$/.test(text))
        throw new InputError(`cpio header field "${text}" is not 8 hex digits`, source, hex(base + start));
      return Number.parseInt(text, 16);
    };
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const nameStart = pos + HEADER;
    if (nameSize === 0 || nameStart + nameSize > bytes.length)
      throw new InputError(
        `cpio name of ${nameSize} bytes runs past the end (${bytes.length - nameStart} left)`,
        source,
        hex(base + pos),
      );
    const name = latin1.decode(bytes.subarray(nameStart, nameStart + nameSize - 1));
    const dataStart = pos + pad4(HEADER + nameSize);
    if (name === TRAILER) return { entries, end: Math.min(bytes.length, dataStart + pad4(size)) };
    if (dataStart + size > bytes.length)
      throw new InputError(
        `cpio data of "${name}" (${size} bytes) runs past the end (${Math.max(0, bytes.length - dataStart)} left)`,
        source,
        hex(base + pos),
      );
    entries.push({ path: name.replace(/^(\.\/|\/)+/, ''), mode, size, offset: base + pos });
    pos = dataStart + pad4(size);
  }
}
