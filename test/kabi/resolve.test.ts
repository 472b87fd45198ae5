import { describe, expect, it } from 'vitest';
import { resolveKmps } from '../../src/kabi/resolve.js';
import type { KernelResolution } from '../../src/kabi/resolve-types.js';
import { build, kernel, mod } from '../support/resolve-builders.js';

const K1 = '6.1.0-1-amd64';
const K2 = '6.1.0-2-amd64';
// K2 rebuilt kmalloc with another CRC (partial drift); printk is the same in both
const k1 = kernel(
  K1,
  ['printk:1', 'kmalloc:2'],
  [mod('libfoo', ['foo_get:10']), mod('user', [], ['foo_get:10', 'printk:1'])],
);
const k2 = kernel(K2, ['printk:1', 'kmalloc:3']);

function only(kernels: ReadonlyArray<KernelResolution>, release: string): KernelResolution {
  const found = kernels.find((k) => k.kernel === release);
  if (!found) throw new Error(`no ${release}`);
  return found;
}

function chosen(r: KernelResolution): string[] {
  return r.chosen.map((c) => `${c.package} ${c.version}@${c.builtFor}`);
}

describe('resolveKmps', () => {
  it("prefers the newest compatible version in rpm order, even over the kernel's own older build (no shadowing)", () => {
    const builds = [
      build('acme', '1.9', K1, [mod('acme', [], ['printk:1'])]),
      build('acme', '1.10', K2, [mod('acme', [], ['printk:1'])]),
    ];
    const r = resolveKmps([k1, k2], builds);
    // K2's rebuild 1.10 serves K1 too although K1 has its own 1.9 (1.10 > 1.9 for rpm, not for a string compare)
    expect(chosen(only(r.kernels, K1))).toEqual([`acme 1.10@${K2}`]);
    expect(chosen(only(r.kernels, K2))).toEqual([`acme 1.10@${K2}`]);
    // forward-only: a newer build K1 cannot take leaves K1 on its own older one
    const breaking = [
      build('acme', '1.9', K1, [mod('acme', [], ['printk:1'])]),
      build('acme', '1.10', K2, [mod('acme', [], ['printk:1', 'kmalloc:3'])]),
    ];
    expect(chosen(only(resolveKmps([k1, k2], breaking).kernels, K1))).toEqual([`acme 1.9@${K1}`]);
  });

  it("among builds of one version, prefers the kernel's own, then the newest kernel built for", () => {
    const K3 = '6.1.0-3-amd64';
    const k3 = kernel(K3, ['printk:1']);
    const builds = [
      build('acme', '2', K1, [mod('acme', [], ['printk:1'])]),
      build('acme', '2', K2, [mod('acme', [], ['printk:1'])]),
    ];
    const r = resolveKmps([k1, k2, k3], builds);
    expect(chosen(only(r.kernels, K1))).toEqual([`acme 2@${K1}`]);
    expect(chosen(only(r.kernels, K2))).toEqual([`acme 2@${K2}`]);
    expect(chosen(only(r.kernels, K3))).toEqual([`acme 2@${K2}`]);
  });

  it('rejects a build whose import has another CRC in the kernel, saying wanted and found', () => {
    const builds = [build('acme', '1', K1, [mod('acme', [], ['kmalloc:2'])])];
    const r = only(resolveKmps([k1, k2], builds).kernels, K2);
    expect(r.chosen).toEqual([]);
    expect(r.rejected).toEqual([
      {
        package: 'acme',
        version: '1',
        builtFor: K1,
        reasons: [{ kind: 'crc', module: 'acme', symbol: 'kmalloc', wanted: 2, found: 3 }],
      },
    ]);
  });

  it('rejects an unknown import, and links the module under its basename into the store path', () => {
    const builds = [build('acme', '1', K1, [mod('acme', [], ['printk:1', 'vanished'])])];
    const r = resolveKmps([k1], builds);
    expect(only(r.kernels, K1).rejected[0]?.reasons).toEqual([
      { kind: 'unknown', module: 'acme', symbol: 'vanished', wanted: undefined, found: undefined },
    ]);
    const ok = resolveKmps([k1], [build('acme', '1', K1, [mod('acme', [], ['printk:1'])])]);
    expect(only(ok.kernels, K1).links).toEqual([
      { kernel: K1, name: 'acme.ko', target: `/usr/lib/klpm/kmp/acme/1/${K1}/acme.ko` },
    ]);
  });

  it('reverse check: a module replacing an in-tree one must export what other modules import from it', () => {
    const missing = build('foo', '2', K2, [mod('libfoo', ['foo_put:11'], ['printk:1'])]);
    const changed = build('foo', '3', K2, [mod('libfoo', ['foo_get:99'], ['printk:1'])]);
    const r = only(resolveKmps([k1], [missing, changed]).kernels, K1);
    expect(r.chosen).toEqual([]);
    expect(r.rejected.map((x) => x.reasons)).toEqual([
      [
        {
          kind: 'override-crc',
          module: 'libfoo',
          symbol: 'foo_get',
          neededBy: 'user',
          wanted: 0x10,
          found: 0x99,
        },
      ],
      [
        {
          kind: 'override-unknown',
          module: 'libfoo',
          symbol: 'foo_get',
          neededBy: 'user',
          wanted: 0x10,
          found: undefined,
        },
      ],
    ]);
    const good = build('foo', '4', K2, [mod('libfoo', ['foo_get:10', 'foo_put:11'], ['printk:1'])]);
    expect(chosen(only(resolveKmps([k1], [missing, good]).kernels, K1))).toEqual([`foo 4@${K2}`]);
  });

  it('an import served by the replaced in-tree module must now come from the replacement', () => {
    // bar imports foo_get 0x10, which only the in-tree libfoo had; the chosen libfoo exports 0x12
    const foo = build('foo', '1', K1, [mod('libfoo', ['foo_get:12'], [])]);
    const bar = build('bar', '1', K1, [mod('bar', [], ['foo_get:10'])]);
    const k = kernel(K1, ['printk:1'], [mod('libfoo', ['foo_get:12'])]);
    const r = only(resolveKmps([k], [foo, bar]).kernels, K1);
    expect(chosen(r)).toEqual([`foo 1@${K1}`]);
    expect(r.rejected[0]?.reasons).toEqual([
      { kind: 'crc', module: 'bar', symbol: 'foo_get', wanted: 0x10, found: 0x12 },
    ]);
  });

  it('KMPs that need each other resolve together, whatever the order', () => {
    const a = build('a', '1', K1, [mod('a_mod', ['a_sym:a'], ['b_sym:b'])]);
    const b = build('b', '1', K1, [mod('b_mod', ['b_sym:b'], ['a_sym:a'])]);
    expect(chosen(only(resolveKmps([k2], [a, b]).kernels, K2))).toEqual([`a 1@${K1}`, `b 1@${K1}`]);
    expect(chosen(only(resolveKmps([k2], [b, a]).kernels, K2))).toEqual([`a 1@${K1}`, `b 1@${K1}`]);
  });

  it('does not give up a newer build because of a neighbour that is about to move', () => {
    // a 2 needs x only b 1 exports; b 2 is incompatible with K2 (kmalloc CRC): expected a 2 + b 1
    const a1 = build('a', '1', K1, [mod('a_mod', [], ['printk:1'])]);
    const a2 = build('a', '2', K1, [mod('a_mod', [], ['x:5'])]);
    const b1 = build('b', '1', K1, [mod('b_mod', ['x:5'], ['printk:1'])]);
    const b2 = build('b', '2', K1, [mod('b_mod', ['y:6'], ['kmalloc:2'])]);
    const r = only(resolveKmps([k2], [a1, a2, b1, b2]).kernels, K2);
    expect(chosen(r)).toEqual([`a 2@${K1}`, `b 1@${K1}`]);
  });

  it('keeps module basenames unique: the later package falls back to a build without the clash', () => {
    const a = build('a', '1', K1, [mod('shared', [], ['printk:1'])]);
    const b2 = build('b', '2', K1, [mod('shared', [], ['printk:1']), mod('b_mod', [], [])]);
    const b1 = build('b', '1', K1, [mod('b_mod', [], [])]);
    const r = only(resolveKmps([k2], [b2, a, b1]).kernels, K2);
    expect(chosen(r)).toEqual([`a 1@${K1}`, `b 1@${K1}`]);
    expect(r.rejected).toEqual([
      {
        package: 'b',
        version: '2',
        builtFor: K1,
        reasons: [{ kind: 'duplicate', module: 'shared', owner: 'a' }],
      },
    ]);
  });

  it('never mixes flavors', () => {
    const rt = build('acme', '9', '6.1.0-1-rt-amd64', [mod('acme', [], ['printk:1'])], false, 'rt');
    const r = only(resolveKmps([k2], [rt]).kernels, K2);
    expect(r.chosen).toEqual([]);
    expect(r.rejected).toEqual([]);
  });

  it('reports lost packages and boot-critical gaps, marked or through the initrd', () => {
    const marked = build('storage', '1', K1, [mod('stor', [], ['kmalloc:2'])], true);
    const initrdOnly = build('net', '1', K1, [mod('netdrv', [], ['kmalloc:2'])]);
    const plain = build('tool', '1', K1, [mod('tool', [], ['kmalloc:2'])]);
    const k = kernel(K2, ['printk:1', 'kmalloc:3'], [], ['netdrv']);
    const r = only(
      resolveKmps(
        [k],
        [marked, initrdOnly, plain],
        [
          { kernel: K2, package: 'storage' },
          { kernel: K2, package: 'tool' },
          { kernel: K2, package: 'gone', bootCritical: false, modules: ['netdrv'] },
          { kernel: K2, package: 'old', bootCritical: false, modules: ['oldmod'] },
        ],
      ).kernels,
      K2,
    );
    // gone and old have no build left: gone shipped netdrv, which the initrd holds
    expect(r.lost).toEqual(['storage', 'tool', 'gone', 'old']);
    expect(r.gaps).toEqual([
      { kernel: K2, package: 'net', because: 'initrd', had: false },
      { kernel: K2, package: 'storage', because: 'marked', had: true },
      { kernel: K2, package: 'gone', because: 'initrd', had: true },
    ]);
  });
});
