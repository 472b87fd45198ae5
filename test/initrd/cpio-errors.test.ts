import { describe, expect, it } from 'vitest';
import { parseCpio } from '../../src/initrd/index.js';
import { InputError } from '../../src/input/index.js';

const enc = new TextEncoder();
const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (n + 3) & ~3;

/** One newc entry: header, name padded to 4 from the header's start, data padded to 4. */
function entry(name: string, data: Uint8Array, nameSize = name.length + 1, size = data.length): Uint8Array {
  const fields = [1, 0o100644, 0, 0, 1, 0, size, 0, 0, 0, 0, nameSize, 0];
  const header = `070701${fields.map(hex8).join('')}`;
  const head = pad4(110 + name.length + 1);
  const out = new Uint8Array(head + pad4(data.length));
  out.set(enc.encode(header));
  out.set(enc.encode(name), 110);
  out.set(data, head);
  return out;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function failure(bytes: Uint8Array, base = 0): string {
  try {
    parseCpio(bytes, 0, 'initrd.img', base);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseCpio errors', () => {
  it('reads a well-formed archive (the builder is right)', () => {
    const archive = concat(entry('a', enc.encode('abc')), entry('TRAILER!!!', new Uint8Array(0)));
    expect(parseCpio(archive, 0, 'initrd.img').entries.map((e) => e.path)).toEqual(['a']);
  });

  it('an archive that ends before its trailer', () => {
    const first = entry('a', enc.encode('abc'));
    expect(failure(first)).toBe(
      `initrd.img: offset 0x${first.length.toString(16)}: cpio header cut short (0 of 110 bytes): archive truncated before TRAILER!!!`,
    );
    expect(failure(first.subarray(0, 50))).toBe(
      'initrd.img: offset 0x0: cpio header cut short (50 of 110 bytes): archive truncated before TRAILER!!!',
    );
  });

  it('no cpio magic, at the offset in the image', () => {
    const bytes = enc.encode('x'.repeat(120));
    expect(failure(bytes, 0x200)).toBe(
      'initrd.img: offset 0x200: no cpio magic: expected 070701 or 070702 (newc), found "xxxxxx"',
    );
  });

  it('a name that runs past the end', () => {
    const bytes = entry('a', new Uint8Array(0), 100);
    expect(failure(bytes)).toBe('initrd.img: offset 0x0: cpio name of 100 bytes runs past the end (2 left)');
  });

  it('data that runs past the end', () => {
    const first = entry('a', enc.encode('abcd'));
    const second = entry('lib/big.ko', enc.encode('abcd'), undefined, 1000);
    expect(failure(concat(first, second))).toBe(
      `initrd.img: offset 0x${first.length.toString(16)}: cpio data of "lib/big.ko" (1000 bytes) runs past the end (4 left)`,
    );
  });
});
