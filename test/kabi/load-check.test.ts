import { describe, expect, it } from 'vitest';
import { hasModversions, isSameMagic, loadRefusal } from '../../src/kabi/load-check.js';
import { resolveKmps } from '../../src/kabi/resolve.js';
import type { InstalledKernel } from '../../src/kabi/resolve-types.js';
import { build, kernel, type Mod, mod, vermagicOf } from '../support/resolve-builders.js';

// The module loader's checks before any symbol (docs/kmp.md, K-VERMAGIC, K-NOVERSIONS,
// K-VERMAGIC-UNKNOWN). The strings are the ones Debian's kernels carry: 6.1 and 6.12 with
// modversions, 7.3 without (CONFIG_MODVERSIONS is off in its amd64 config).
const K40 = '6.1.0-40-amd64';
const K41 = '6.1.0-41-amd64';
const RT41 = '6.1.0-41-rt-amd64';
const NO_MODVERSIONS = 'SMP preempt mod_unload ';

function withVermagic(module: Mod, vermagic: string | undefined): Mod {
  return { ...module, vermagic };
}

function kernelWith(release: string, vermagic: string | undefined, initrd: string[] = []): InstalledKernel {
  return { ...kernel(release, ['printk:1'], [], initrd), vermagic };
}

const versioned = (name: string) => mod(name, [], ['printk:1']);
const unversioned = (name: string) => mod(name, [], ['printk']);

describe('same_magic', () => {
  it('ignores the release when both sides have CRCs, and only then', () => {
    expect(isSameMagic(vermagicOf(K40), vermagicOf(K41), true)).toBe(true);
    expect(isSameMagic(vermagicOf(K40), vermagicOf(K41), false)).toBe(false);
    expect(isSameMagic(vermagicOf(K41), vermagicOf(K41), false)).toBe(true);
    // the flags count either way
    expect(
      isSameMagic(vermagicOf(K40, 'SMP preempt_rt mod_unload modversions '), vermagicOf(K41), true),
    ).toBe(false);
  });

  it('reads modversions from the kernel vermagic', () => {
    expect(hasModversions(vermagicOf(K41))).toBe(true);
    expect(hasModversions(vermagicOf('7.3.4+bpo-amd64', NO_MODVERSIONS))).toBe(false);
  });
});

describe('loadRefusal', () => {
  const plain = { bootCritical: false, own: false };
  it('refuses a module without __versions on a kernel with modversions', () => {
    expect(loadRefusal(withVermagic(unversioned('m'), vermagicOf(K41)), vermagicOf(K41), plain)).toEqual({
      kind: 'no-versions',
      module: 'm',
    });
  });

  it('refuses other vermagic flags even with equal CRCs', () => {
    const rt = vermagicOf(K40, 'SMP preempt_rt mod_unload modversions ');
    expect(loadRefusal(withVermagic(versioned('m'), rt), vermagicOf(K41), plain)).toEqual({
      kind: 'vermagic',
      module: 'm',
      vermagic: rt,
      kernelVermagic: vermagicOf(K41),
    });
  });

  it('compares the whole vermagic on a kernel without modversions (7.3)', () => {
    const k73 = vermagicOf('7.3.4+bpo-amd64', NO_MODVERSIONS);
    const k72 = vermagicOf('7.2.9+bpo-amd64', NO_MODVERSIONS);
    expect(loadRefusal(withVermagic(unversioned('m'), k72), k73, plain)?.kind).toBe('vermagic');
    expect(loadRefusal(withVermagic(unversioned('m'), k73), k73, plain)).toBeUndefined();
  });

  it('takes a module of another release with CRCs and the same flags', () => {
    expect(
      loadRefusal(withVermagic(versioned('m'), vermagicOf(K40)), vermagicOf(K41), plain),
    ).toBeUndefined();
  });

  it("refuses a boot-critical module for another kernel when the kernel's vermagic is unknown", () => {
    const m = withVermagic(versioned('m'), vermagicOf(K40));
    expect(loadRefusal(m, undefined, { bootCritical: true, own: false })?.kind).toBe(
      'kernel-vermagic-unknown',
    );
    expect(loadRefusal(m, undefined, { bootCritical: true, own: true })).toBeUndefined();
    expect(loadRefusal(m, undefined, plain)).toBeUndefined();
  });
});

describe('resolution with the loader checks', () => {
  it('does not link a module built without modversions for 6.1.0-40 into 6.1.0-41', () => {
    const k41 = kernelWith(K41, vermagicOf(K41));
    const b = build('acme', '1', K40, [withVermagic(unversioned('acme'), vermagicOf(K40, NO_MODVERSIONS))]);
    const [r] = resolveKmps([k41], [b]).kernels;
    expect(r?.chosen).toEqual([]);
    expect(r?.rejected[0]?.reasons.map((x) => x.kind)).toEqual(['no-versions']);
  });

  it('does not link a module whose CRCs match but whose vermagic flags differ', () => {
    const k41 = kernelWith(K41, vermagicOf(K41));
    const flags = 'SMP preempt_rt mod_unload modversions ';
    const b = build(
      'acme',
      '1',
      K40,
      [withVermagic(versioned('acme'), vermagicOf(K40, flags))],
      false,
      'amd64',
    );
    const [r] = resolveKmps([k41], [b]).kernels;
    expect(r?.chosen).toEqual([]);
    expect(r?.rejected[0]?.reasons.map((x) => x.kind)).toEqual(['vermagic']);
    // the same build with the kernel's flags is linked
    const good = build('acme', '1', K40, [withVermagic(versioned('acme'), vermagicOf(K40))]);
    expect(resolveKmps([k41], [good]).kernels[0]?.chosen.map((c) => c.builtFor)).toEqual([K40]);
  });

  it('leaves a boot-critical gap instead of linking into a kernel registered without vermagic', () => {
    const k41 = kernelWith(K41, undefined, ['acme']);
    const b = build('acme', '1', K40, [withVermagic(versioned('acme'), vermagicOf(K40))]);
    const [r] = resolveKmps([k41], [b]).kernels;
    expect(r?.chosen).toEqual([]);
    expect(r?.gaps.map((g) => g.because)).toEqual(['initrd']);
  });

  it('lets the vermagic decide where the flavors agree', () => {
    const rt = kernelWith(RT41, vermagicOf(RT41, 'SMP preempt_rt mod_unload modversions '));
    const b = build('acme', '1', K40, [withVermagic(versioned('acme'), vermagicOf(K40))], false, 'amd64');
    expect(resolveKmps([rt], [b]).kernels[0]?.rejected[0]?.reasons.map((x) => x.kind)).toEqual(['vermagic']);
  });
});
