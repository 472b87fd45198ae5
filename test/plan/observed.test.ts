import { describe, expect, it } from 'vitest';
import { patchManifestSchema } from '../../src/klp/index.js';
import { attributesOfRelease, type HostPatch, hostStateFromObserved } from '../../src/plan/index.js';

const observed = (name: string, more: Partial<HostPatch> = {}): HostPatch => ({
  name,
  enabled: true,
  transition: false,
  replace: undefined,
  replaceSet: undefined,
  provides: undefined,
  obsoletes: undefined,
  stackOrder: undefined,
  version: '1',
  objects: [{ name: 'vmlinux', patched: true, funcs: [{ name: 'cmdline_proc_show', sympos: 1 }] }],
  ...more,
});

describe('attributesOfRelease', () => {
  it('replace since 6.11, stack_order since 6.14 (Debian 6.1 has neither, 6.12 has replace)', () => {
    expect(attributesOfRelease('6.1.0-56-amd64')).toEqual([]);
    expect(attributesOfRelease('6.10.14')).toEqual([]);
    expect(attributesOfRelease('6.11.0')).toEqual(['replace']);
    expect(attributesOfRelease('6.12.117+deb12-amd64')).toEqual(['replace']);
    expect(attributesOfRelease('6.14.2')).toEqual(['replace', 'stack_order']);
    expect(attributesOfRelease('7.0.1')).toEqual(['replace', 'stack_order']);
    expect(attributesOfRelease(undefined)).toEqual([]);
  });
});

describe('hostStateFromObserved', () => {
  const v1 = patchManifestSchema.parse({ name: 'lp_v1', replace: true, states: [{ id: 1, version: 1 }] });

  it('takes the repository manifest and version of a known patch, and a sysfs one for an unknown patch', () => {
    const { state, unknown } = hostStateFromObserved(
      {
        release: '6.12.117+deb12-amd64',
        kind: 'replace-bool',
        attributes: ['replace'],
        patches: [
          observed('lp_v1', { replace: true }),
          observed('hotfix', { replace: false, version: undefined }),
        ],
        modules: ['lp_v1', 'hotfix', 'busy', 'ext4'],
      },
      new Map([['lp_v1', { manifest: v1, to: '6.12.117-1.1' }]]),
      new Set(['busy']),
    );
    expect(unknown).toEqual(['hotfix']);
    expect(state.attributes).toEqual(['replace']);
    expect(state.modules).toEqual(['busy']);
    expect(state.patches[0]).toMatchObject({ manifest: v1, to: '6.12.117-1.1' });
    expect(state.patches[1]?.manifest).toEqual({
      name: 'hotfix',
      replaceSet: 0,
      obsoletes: [],
      replace: false,
      states: [],
      objects: [{ name: 'vmlinux', funcs: [{ name: 'cmdline_proc_show', sympos: 1 }], callbacks: [] }],
    });
  });

  it('with no patch loaded the kernel kind is replace-bool and the attributes come from the release', () => {
    const { state } = hostStateFromObserved(
      { release: '6.1.0-56-amd64', kind: undefined, attributes: [], patches: [], modules: [] },
      new Map(),
      new Set(),
    );
    expect(state).toEqual({ kind: 'replace-bool', attributes: [], patches: [], modules: [] });
  });

  it('a replace-set kernel gives an unknown patch its set from sysfs', () => {
    const { state } = hostStateFromObserved(
      {
        release: '7.1.0',
        kind: 'replace-set',
        attributes: ['replace_set'],
        patches: [observed('other', { replaceSet: 4 })],
        modules: [],
      },
      new Map(),
      new Set(),
    );
    expect(state.kind).toBe('replace-set');
    expect(state.patches[0]?.manifest.replaceSet).toBe(4);
  });
});
