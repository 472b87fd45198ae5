import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveKmps } from '../../src/kabi/resolve.js';
import type { InstalledKernel, KmpBuild } from '../../src/kabi/resolve-types.js';
import { build, kernel, modOf } from '../support/resolve-builders.js';

// a small world where packages import each other's symbols, so orders matter to a naive resolver
const symbolNames = ['s0', 's1', 's2', 's3', 's4', 's5'];
const releases = ['6.1.0-1-amd64', '6.1.0-2-amd64', '6.1.0-3-amd64'];

const symbolArb = fc.record({ name: fc.constantFrom(...symbolNames), crc: fc.integer({ min: 1, max: 2 }) });
const moduleArb = fc.record({
  name: fc.constantFrom('m0', 'm1', 'm2', 'm3', 'libfoo'),
  exports: fc.uniqueArray(symbolArb, { maxLength: 2, selector: (s) => s.name }),
  imports: fc.uniqueArray(symbolArb, { maxLength: 3, selector: (s) => s.name }),
});
const buildArb = fc
  .record({
    pkg: fc.constantFrom('p0', 'p1', 'p2', 'p3'),
    version: fc.constantFrom('1', '1.1', '2', '10'),
    builtFor: fc.constantFrom(...releases),
    modules: fc.uniqueArray(moduleArb, { minLength: 1, maxLength: 2, selector: (m) => m.name }),
    bootCritical: fc.boolean(),
  })
  .map((b) =>
    build(
      b.pkg,
      b.version,
      b.builtFor,
      b.modules.map((m) => modOf(m.name, m.exports, m.imports)),
      b.bootCritical,
    ),
  );
const kernelArb = fc
  .record({
    release: fc.constantFrom(...releases),
    vmlinuxCrc: fc.integer({ min: 1, max: 2 }),
    libfooCrc: fc.integer({ min: 1, max: 2 }),
  })
  .map((k) =>
    kernel(
      k.release,
      [`s0:${k.vmlinuxCrc}`],
      [
        modOf('libfoo', [{ name: 's1', crc: k.libfooCrc }], []),
        modOf('user', [], [{ name: 's1', crc: k.libfooCrc }]),
      ],
      ['m3'],
    ),
  );
const worldArb = fc.record({
  kernels: fc.uniqueArray(kernelArb, { minLength: 1, maxLength: 3, selector: (k) => k.release }),
  builds: fc.uniqueArray(buildArb, {
    maxLength: 8,
    selector: (b) => `${b.package} ${b.version} ${b.builtFor}`,
  }),
});

function shuffled<T>(items: ReadonlyArray<T>, keys: ReadonlyArray<number>): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % Math.max(keys.length, 1)] ?? 0, i }))
    .sort((a, b) => a.key - b.key || b.i - a.i)
    .map((x) => x.item);
}

function reorder(kernels: InstalledKernel[], builds: KmpBuild[], keys: number[]) {
  return {
    kernels: shuffled(kernels, keys).map((k) => ({ ...k, modules: shuffled(k.modules, keys) })),
    builds: shuffled(builds, keys.slice().reverse()).map((b) => ({
      ...b,
      modules: shuffled(b.modules, keys),
    })),
  };
}

/** Worked out apart from the resolver: what the kernel exports once the chosen modules are in. */
function checkSound(kernels: InstalledKernel[], builds: KmpBuild[]) {
  const r = resolveKmps(kernels, builds);
  for (const res of r.kernels) {
    const k = kernels.find((x) => x.release === res.kernel)!;
    const chosen = res.chosen.map(
      (c) =>
        builds.find((b) => b.package === c.package && b.version === c.version && b.builtFor === c.builtFor)!,
    );
    for (const b of chosen) expect(b.flavor).toBe(k.flavor);
    const kmpModules = chosen.flatMap((b) => b.modules);
    const names = kmpModules.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    const exports = new Map<string, number | undefined>();
    for (const e of k.symvers.entries.values()) if (e.module === 'vmlinux') exports.set(e.symbol, e.crc);
    const inTree = k.modules.filter((m) => !names.includes(m.name));
    for (const m of [...inTree, ...kmpModules]) for (const e of m.exports) exports.set(e.name, e.crc);
    for (const m of [...inTree, ...kmpModules])
      for (const i of m.undefinedSymbols) {
        const crc = m.versions.find((v) => v.name === i.name)?.crc;
        expect(exports.has(i.name), `${res.kernel}: ${m.name} needs ${i.name}`).toBe(true);
        expect(exports.get(i.name), `${res.kernel}: ${m.name} crc of ${i.name}`).toBe(crc);
      }
  }
  return r;
}

describe('resolveKmps properties', () => {
  it('gives the same answer whatever order kernels, builds and modules come in', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.integer(), { minLength: 1, maxLength: 12 }), (world, keys) => {
        const again = reorder(world.kernels, world.builds, keys);
        expect(resolveKmps(again.kernels, again.builds)).toEqual(resolveKmps(world.kernels, world.builds));
      }),
      { numRuns: 300 },
    );
  });

  it('every chosen build resolves against the kernel it serves, with in-tree users kept whole', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        checkSound(world.kernels, world.builds);
      }),
      { numRuns: 300 },
    );
  });
});
