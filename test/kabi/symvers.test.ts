import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { parseSymvers } from '../../src/kabi/index.js';

describe('parseSymvers', () => {
  it('reads 5-field lines (namespace last, empty when none) as Debian 6.1 and 6.12 write them', () => {
    const text =
      '0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t\n' +
      '0xd6551b9c\tcpu_cache_has_invalidate_memregion\tvmlinux\tEXPORT_SYMBOL_GPL\tDEVMEM\n' +
      '0x0000abcd\tdm_get_device\tdrivers/md/dm-mod\tEXPORT_SYMBOL_GPL\t\n';
    const symvers = parseSymvers(text, 'Module.symvers');
    expect([...symvers.entries.values()]).toEqual([
      {
        crc: 0x4c9d28b0,
        symbol: 'phys_base',
        module: 'vmlinux',
        exportType: 'EXPORT_SYMBOL',
        namespace: undefined,
      },
      {
        crc: 0xd6551b9c,
        symbol: 'cpu_cache_has_invalidate_memregion',
        module: 'vmlinux',
        exportType: 'EXPORT_SYMBOL_GPL',
        namespace: 'DEVMEM',
      },
      {
        crc: 0xabcd,
        symbol: 'dm_get_device',
        module: 'drivers/md/dm-mod',
        exportType: 'EXPORT_SYMBOL_GPL',
        namespace: undefined,
      },
    ]);
  });

  it('reads 4-field lines of kernels before 5.4', () => {
    const symvers = parseSymvers('0x00000001\tprintk\tvmlinux\tEXPORT_SYMBOL\n', 'old.symvers');
    expect(symvers.entries.get('printk')).toEqual({
      crc: 1,
      symbol: 'printk',
      module: 'vmlinux',
      exportType: 'EXPORT_SYMBOL',
      namespace: undefined,
    });
  });

  it('recognises the 5.4 order with the namespace third', () => {
    const symvers = parseSymvers(
      '0x00000002\tusb_stor_x\tUSB_STORAGE\tdrivers/usb/storage/usb-storage\tEXPORT_SYMBOL_GPL\n' +
        '0x00000003\tprintk\t\tvmlinux\tEXPORT_SYMBOL\n',
      '5.4.symvers',
    );
    expect(symvers.entries.get('usb_stor_x')).toMatchObject({
      namespace: 'USB_STORAGE',
      module: 'drivers/usb/storage/usb-storage',
      exportType: 'EXPORT_SYMBOL_GPL',
    });
    expect(symvers.entries.get('printk')).toMatchObject({ module: 'vmlinux', namespace: undefined });
  });

  it('keeps the low 32 bits of a 64-bit CRC', () => {
    expect(parseSymvers('0x00000001ffffffff\tx\tvmlinux\tEXPORT_SYMBOL\n', 's').entries.get('x')!.crc).toBe(
      0xffffffff,
    );
  });

  it('names the file and line of a bad CRC', () => {
    const text = '0x00000001\ta\tvmlinux\tEXPORT_SYMBOL\t\n0xnothex\tb\tvmlinux\tEXPORT_SYMBOL\t\n';
    expect(() => parseSymvers(text, 'Module.symvers')).toThrow(
      new InputError(
        "bad crc '0xnothex': expected 0x followed by up to 16 hex digits",
        'Module.symvers',
        'line 2',
      ),
    );
    try {
      parseSymvers(text, 'Module.symvers');
    } catch (error) {
      expect(error).toMatchObject({ source: 'Module.symvers', location: 'line 2' });
    }
  });

  it('rejects a line with too few fields or no export type', () => {
    expect(() => parseSymvers('0x1\tsym\tvmlinux\n', 's')).toThrow(/4 or 5 tab-separated fields/);
    expect(() => parseSymvers('0x1\tsym\tvmlinux\tNOPE\t\n', 's')).toThrow(/no export type/);
  });
});

describe('parseSymvers fuzz', () => {
  it('returns Symvers or throws InputError naming a line, for any text', () => {
    const field = fc.oneof(
      fc.constantFrom('0x0000abcd', 'vmlinux', 'EXPORT_SYMBOL', 'EXPORT_SYMBOL_GPL', '', 'NS', '0x'),
      fc.string({ maxLength: 12 }),
    );
    const line = fc.array(field, { maxLength: 6 }).map((fields) => fields.join('\t'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        try {
          parseSymvers(lines.join('\n'), 'fuzz.symvers');
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          expect((error as InputError).location).toMatch(/^line \d+$/);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
