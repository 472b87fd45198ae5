import { describe, expect, it } from 'vitest';
import { blockingGaps, planLinks } from '../../src/kabi/link-plan.js';
import type { BootCriticalGap, KernelResolution, KmpLink, Resolution } from '../../src/kabi/resolve-types.js';

const K1 = '6.1.0-47-amd64';
const K2 = '6.1.0-48-amd64';

function link(kernel: string, name: string, target: string): KmpLink {
  return { kernel, name, target };
}

function kernelResolution(kernel: string, links: KmpLink[], gaps: BootCriticalGap[] = []): KernelResolution {
  return { kernel, flavor: 'amd64', chosen: [], links, rejected: [], lost: [], gaps };
}

function resolution(...kernels: KernelResolution[]): Resolution {
  return { kernels };
}

describe('planLinks', () => {
  it('plans nothing, not even depmod, when the links on disk are already the wanted ones', () => {
    const links = [link(K1, 'foo.ko', '/usr/lib/klpm/kmp/foo/1/K1/foo.ko')];
    expect(planLinks(links, resolution(kernelResolution(K1, links)))).toEqual([]);
  });

  it('replaces by renaming over the old link and runs depmod once for the changed kernel only', () => {
    const old = link(K1, 'foo.ko', '/old/foo.ko');
    const kept = link(K2, 'foo.ko', '/old/foo.ko');
    const ops = planLinks(
      [old, kept],
      resolution(kernelResolution(K1, [link(K1, 'foo.ko', '/new/foo.ko')]), kernelResolution(K2, [kept])),
    );
    expect(ops).toEqual([
      { op: 'link', kernel: K1, name: 'foo.ko', target: '/new/foo.ko', replaces: '/old/foo.ko' },
      { op: 'depmod', kernel: K1 },
    ]);
  });

  it('puts every create and replace before any removal, then one depmod per kernel', () => {
    const ops = planLinks(
      [link(K1, 'a.ko', '/a1'), link(K1, 'b.ko', '/b1'), link(K2, 'c.ko', '/c1')],
      resolution(
        kernelResolution(K1, [link(K1, 'b.ko', '/b2')]),
        kernelResolution(K2, [link(K2, 'd.ko', '/d1')]),
      ),
    );
    expect(ops.map((o) => `${o.op} ${o.kernel}${'name' in o ? ` ${o.name}` : ''}`)).toEqual([
      `link ${K1} b.ko`,
      `link ${K2} d.ko`,
      `unlink ${K1} a.ko`,
      `unlink ${K2} c.ko`,
      `depmod ${K1}`,
      `depmod ${K2}`,
    ]);
  });

  it('removes the links of a kernel absent from the resolution without running depmod for it', () => {
    const ops = planLinks([link(K2, 'foo.ko', '/f')], resolution(kernelResolution(K1, [])));
    expect(ops).toEqual([{ op: 'unlink', kernel: K2, name: 'foo.ko', target: '/f' }]);
  });

  it('does not depend on the order of the links on disk', () => {
    const current = [link(K1, 'a.ko', '/a'), link(K1, 'b.ko', '/b'), link(K2, 'a.ko', '/a')];
    const wanted = resolution(kernelResolution(K1, [link(K1, 'c.ko', '/c')]), kernelResolution(K2, []));
    expect(planLinks([...current].reverse(), wanted)).toEqual(planLinks(current, wanted));
  });
});

describe('blockingGaps', () => {
  const had: BootCriticalGap = { kernel: K1, package: 'foo', because: 'marked', had: true };
  const fresh: BootCriticalGap = { kernel: K2, package: 'bar', because: 'initrd', had: false };
  const res = resolution(kernelResolution(K1, [], [had]), kernelResolution(K2, [], [fresh]));

  it('blocks when a kernel loses a boot-critical package it had', () => {
    expect(blockingGaps(res)).toEqual([had]);
  });

  it('blocks when a kernel being added would start without a boot-critical package', () => {
    expect(blockingGaps(res, [K2])).toEqual([had, fresh]);
  });
});
