import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipInput, InputError } from '../../src/input/index.js';

describe('gunzipInput errors', () => {
  it('corrupt gzip data is bad input at offset 0', () => {
    const bytes = Uint8Array.from(gzipSync('0x1\tprintk\tvmlinux\tEXPORT_SYMBOL\n'));
    bytes.fill(0xff, 10, 20);
    let error: unknown;
    try {
      gunzipInput(bytes, 'symvers-6.1.0.gz');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/^symvers-6\.1\.0\.gz: offset 0x0: corrupt gzip data: \S/);
  });

  it('a cut gzip stream is corrupt too', () => {
    const bytes = gzipSync('x'.repeat(1000)).subarray(0, 12);
    expect(() => gunzipInput(bytes, 'u.xml.gz')).toThrow(/^u\.xml\.gz: offset 0x0: corrupt gzip data: /);
  });
});
