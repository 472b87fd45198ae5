import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { readLivepatchModule } from '../../src/livepatch-module/index.js';
import { livepatchObjects } from '../support/livepatch-objects.js';
import { seeded } from '../support/seeded-random.js';

/**
 * Mutated livepatch objects (bytes overwritten, runs zeroed, the file cut short) of every builder
 * layout and of a little- and a big-endian machine: the reader returns a module or throws InputError
 * with the file's name, never another error, and never hangs (each read is timed against a bound far
 * above a normal read). The seed is printed on failure so a run can be repeated.
 */
const { objects } = livepatchObjects();
const seeds = (['x86_64', 's390x'] as const).flatMap((arch) =>
  Object.entries(objects[arch] ?? {}).map(([name, path]) => ({
    name: `${arch}/${name}`,
    bytes: readFileSync(path),
  })),
);
const RUNS = Number(process.env.KLPM_FUZZ_RUNS ?? 3000);

function mutate(bytes: Buffer, random: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const kind = Math.floor(random() * 4);
  const at = Math.floor(random() * copy.length);
  if (kind === 0)
    for (let i = 0; i < 1 + random() * 8; i++)
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
  else if (kind === 1) copy.fill(0, at, Math.min(copy.length, at + Math.floor(random() * 64)));
  else if (kind === 2) copy.fill(0xff, at, Math.min(copy.length, at + Math.floor(random() * 16)));
  else return copy.subarray(0, at);
  return copy;
}

describe.skipIf(seeds.length === 0)('readLivepatchModule fuzz', () => {
  it(`returns a module or an InputError for ${RUNS} mutated objects`, () => {
    const seed = Number(process.env.KLPM_FUZZ_SEED ?? 1605);
    const random = seeded(seed);
    let errors = 0;
    for (let run = 0; run < RUNS; run++) {
      const base = seeds[run % seeds.length]!;
      const bytes = mutate(base.bytes, random);
      const started = performance.now();
      try {
        readLivepatchModule(bytes, 'fuzz.ko');
      } catch (error) {
        if (!(error instanceof InputError))
          throw new Error(`seed ${seed} run ${run} (${base.name}): ${(error as Error).stack}`);
        expect(error.message.startsWith('fuzz.ko')).toBe(true);
        errors++;
      }
      const took = performance.now() - started;
      if (took > 2000)
        throw new Error(`seed ${seed} run ${run} (${base.name}): read took ${took.toFixed(0)} ms`);
    }
    // the mutations must reach the reader's checks, not only the ELF header's
    expect(errors).toBeGreaterThan(RUNS / 20);
    expect(errors).toBeLessThan(RUNS);
  });
});
