import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XZ_TAIL_SIZE, xzUncompressedSize } from '../../src/elf/index.js';

const xz = spawnSync('xz', ['--version']).status === 0;
const pack = (bytes: Uint8Array, ...flags: string[]) =>
  new Uint8Array(spawnSync('xz', ['-c', '--check=crc32', ...flags], { input: bytes }).stdout);
const tailOf = (file: Uint8Array) => file.subarray(Math.max(0, file.length - XZ_TAIL_SIZE));

describe.skipIf(!xz)('xz index (files made by the real xz tool; skipped without xz)', () => {
  it('gives the uncompressed size of single-stream files, one block or several', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300_000 }), fc.boolean(), (data, blocks) => {
        const file = blocks ? pack(data, '--block-size=4096') : pack(data);
        expect(xzUncompressedSize(tailOf(file), file.length)).toBe(data.length);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses two concatenated streams, stream padding and a cut file', () => {
    const data = new Uint8Array(10_000).map((_, i) => i * 7);
    const one = pack(data);
    const two = new Uint8Array([...pack(data), ...one]);
    expect(xzUncompressedSize(tailOf(two), two.length)).toBeUndefined();
    const padded = new Uint8Array([...one, 0, 0, 0, 0]);
    expect(xzUncompressedSize(tailOf(padded), padded.length)).toBeUndefined();
    const cut = one.subarray(0, one.length - 1);
    expect(xzUncompressedSize(tailOf(cut), cut.length)).toBeUndefined();
    // the tail misses the index when it is too short
    expect(xzUncompressedSize(one.subarray(one.length - 12), one.length)).toBeUndefined();
    expect(xzUncompressedSize(tailOf(one), one.length + 4)).toBeUndefined();
  });
});

it('never throws on arbitrary tails', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(1 << 20), (tail, size) => {
      const got = xzUncompressedSize(tail, size);
      expect(got === undefined || Number.isSafeInteger(got)).toBe(true);
    }),
  );
});
