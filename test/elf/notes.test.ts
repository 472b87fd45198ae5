import { describe, expect, it } from 'vitest';
import { findBuildId, parseElfNotes } from '../../src/elf/index.js';

/** One note laid out by hand: namesz, descsz, type (little-endian words), name and desc padded to 4. */
function note(name: string, type: number, desc: number[]): number[] {
  const nameBytes = [...Buffer.from(name, 'latin1'), 0];
  const pad = (bytes: number[]) => [...bytes, ...Array((4 - (bytes.length % 4)) % 4).fill(0)];
  const word = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  return [...word(nameBytes.length), ...word(desc.length), ...word(type), ...pad(nameBytes), ...pad(desc)];
}

describe('ELF notes', () => {
  const id = [
    0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
    0x0e, 0x0f, 0x10,
  ];
  // /sys/kernel/notes carries Xen and Linux notes before and after the build ID
  const blob = Uint8Array.from([
    ...note('Xen', 6, [1, 2, 3]),
    ...note('GNU', 1, [0, 0, 0, 0]),
    ...note('GNU', 3, id),
    ...note('Linux', 0x100, [7]),
  ]);

  it('walks every note with 4-byte padding', () => {
    expect(parseElfNotes(blob).map((n) => [n.name, n.type, n.desc.length])).toEqual([
      ['Xen', 6, 3],
      ['GNU', 1, 4],
      ['GNU', 3, 20],
      ['Linux', 0x100, 1],
    ]);
  });

  it('finds the GNU build ID (type 3) as hex', () => {
    expect(findBuildId(blob)).toBe('deadbeef0102030405060708090a0b0c0d0e0f10');
  });

  it('a type-3 note under another name is not a build ID; a truncated blob yields what is whole', () => {
    expect(findBuildId(Uint8Array.from(note('Xen', 3, id)))).toBeUndefined();
    expect(findBuildId(blob.subarray(0, blob.length - 30))).toBeUndefined();
    expect(parseElfNotes(blob.subarray(0, 10))).toEqual([]);
  });
});
