import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { parseSymvers } from '../../src/kabi/index.js';

const GOOD = '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL';

function failure(text: string): string {
  try {
    parseSymvers(text, 'Module.symvers');
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseSymvers errors', () => {
  it('a line with too few or too many fields', () => {
    expect(failure(`${GOOD}\n0x1\tsym`)).toBe(
      'Module.symvers: line 2: expected 4 or 5 tab-separated fields (crc, symbol, module, export type, namespace), found 2',
    );
    expect(failure('0x1\ta\tb\tc\td\te')).toBe(
      'Module.symvers: line 1: expected 4 or 5 tab-separated fields (crc, symbol, module, export type, namespace), found 6',
    );
  });

  it('an empty symbol name', () => {
    expect(failure(`${GOOD}\n\n0x1\t\tvmlinux\tEXPORT_SYMBOL`)).toBe(
      'Module.symvers: line 3: empty symbol name',
    );
  });

  it('no export type in field 4 or 5', () => {
    expect(failure('0x1\tsym\tvmlinux\tSYMBOL_GPL')).toBe(
      'Module.symvers: line 1: no export type (EXPORT_SYMBOL...) in field 4 or 5',
    );
  });

  it('an empty module field, in either layout', () => {
    expect(failure('0x1\tsym\t\tEXPORT_SYMBOL_GPL')).toBe('Module.symvers: line 1: empty module field');
    expect(failure('0x1\tsym\tNS\t\tEXPORT_SYMBOL_GPL')).toBe('Module.symvers: line 1: empty module field');
  });
});
