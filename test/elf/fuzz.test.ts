import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readModule } from '../../src/elf/index.js';
import { InputError } from '../../src/input/index.js';
import { writeModule } from '../support/elf-writer.js';

const seeds = [true, false].flatMap((is64) =>
  [true, false].map((littleEndian) =>
    writeModule({
      is64,
      littleEndian,
      modinfo: ['name=fuzz', 'depends=a,b', 'vermagic=6.1.0 SMP'],
      versions: [
        { name: 'module_layout', crc: 1 },
        { name: 'printk', crc: 2 },
      ],
      extVersions: [{ name: 'x'.repeat(70), crc: 3 }],
      imports: [{ name: 'printk' }, { name: 'weak_one', weak: true }],
      exports: [
        { name: 'e1', crc: 5 },
        { name: 'e2', crc: 6, gpl: true, crcMode: 'abs' },
      ],
      buildId: [1, 2, 3, 4],
      signed: true,
    }),
  ),
);

/** Bad input may only ever be an InputError: no RangeError, no TypeError, no hang. */
function readOrInputError(bytes: Uint8Array): void {
  try {
    const info = readModule(bytes, 'fuzz.ko');
    expect(typeof info.name).toBe('string');
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
  }
}

describe('readModule fuzz', () => {
  it('returns ModuleInfo or throws InputError for 100,000 mutated modules (KLPM_FUZZ_RUNS to change)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        (seed, flips, cut) => {
          const bytes = Uint8Array.from(seeds[seed]!);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          readOrInputError(cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length));
        },
      ),
      { numRuns: Number(process.env.KLPM_FUZZ_RUNS ?? 100_000), seed: 4 },
    );
  });
});
