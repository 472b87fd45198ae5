import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveKmps } from '../../src/kabi/resolve.js';
import { readRegistered, registeredText, relevantTo } from '../../src/kmp/registration.js';
import { build, kernel, modOf } from '../support/resolve-builders.js';

// kernels whose in-tree modules export and import each other's symbols (two exporters of one symbol,
// modules the KMPs replace, users of those), and KMPs touching some of it
const symbols = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];
const names = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
const releases = ['6.1.0-1-amd64', '6.1.0-2-amd64'];
const sym = fc.record({ name: fc.constantFrom(...symbols), crc: fc.integer({ min: 1, max: 2 }) });
const syms = (max: number) => fc.uniqueArray(sym, { maxLength: max, selector: (s) => s.name });
const mod = fc
  .record({ name: fc.constantFrom(...names), exports: syms(2), imports: syms(3) })
  .map((m) => modOf(m.name, m.exports, m.imports));
const kernelArb = fc
  .record({
    release: fc.constantFrom(...releases),
    vmlinux: syms(4),
    modules: fc.uniqueArray(mod, { maxLength: 6, selector: (m) => m.name }),
  })
  .map((k) =>
    kernel(
      k.release,
      k.vmlinux.map((s) => `${s.name}:${s.crc}`),
      k.modules,
    ),
  );
const buildArb = fc
  .record({
    pkg: fc.constantFrom('p0', 'p1', 'p2'),
    version: fc.constantFrom('1', '2'),
    builtFor: fc.constantFrom(...releases),
    modules: fc.uniqueArray(mod, { minLength: 1, maxLength: 2, selector: (m) => m.name }),
  })
  .map((b) => build(b.pkg, b.version, b.builtFor, b.modules));

describe('readRegistered with the builds it is read for', () => {
  it('resolves exactly as the whole kernel does', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(kernelArb, { minLength: 1, maxLength: 2, selector: (k) => k.release }),
        fc.uniqueArray(buildArb, {
          maxLength: 5,
          selector: (b) => `${b.package} ${b.version} ${b.builtFor}`,
        }),
        (kernels, builds) => {
          const whole = kernels.map((k) => readRegistered(registeredText(k), 'k.json'));
          const part = kernels.map((k) => readRegistered(registeredText(k), 'k.json', relevantTo(builds)));
          expect(resolveKmps(part, builds)).toEqual(resolveKmps(whole, builds));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps only what the builds touch', () => {
    const k = kernel(
      '6.1.0-1-amd64',
      ['printk:1', 'kmalloc:2', 'unrelated:3'],
      [
        modOf('libfoo', [{ name: 'foo_get', crc: 1 }], []),
        modOf('user', [], [{ name: 'foo_get', crc: 1 }]),
        modOf('other', [{ name: 'other_op', crc: 4 }], [{ name: 'kmalloc', crc: 2 }]),
      ],
    );
    const b = build('foo', '1', '6.1.0-1-amd64', [modOf('libfoo', [], [{ name: 'printk', crc: 1 }])]);
    const read = readRegistered(registeredText(k), 'k.json', relevantTo([b]));
    expect(read.modules.map((m) => m.name)).toEqual(['libfoo', 'user']);
    expect([...read.symvers.entries.keys()]).toEqual(['printk']);
  });
});

describe('the registration format', () => {
  const k = kernel('6.1.0-1-amd64', ['printk:1'], [modOf('libfoo', [{ name: 'foo_get', crc: 1 }], [])]);
  it('is written with a version, and older and newer versions are told apart', () => {
    const written = JSON.parse(registeredText(k));
    expect(written).toMatchObject({ format: 'klpm-kernel', version: 4 });
    // a registration of the unversioned format klpm-kernel-3 reads as version 3
    const legacy = { ...written, format: 'klpm-kernel-3' };
    delete legacy.version;
    expect(readRegistered(JSON.stringify(legacy), 'k.json').modules.map((m) => m.name)).toEqual(['libfoo']);
    expect(() => readRegistered(JSON.stringify({ ...written, version: 5 }), 'k.json')).toThrow(
      'kernel registration version 5 was written by a newer klpm (this one reads up to 4)',
    );
    expect(() => readRegistered(JSON.stringify({ ...written, version: 'x' }), 'k.json')).toThrow(
      'not a klpm kernel registration',
    );
  });
});
