import { describe, expect, it } from 'vitest';
import { type PatchManifestInput, patchManifestSchema } from '../../src/klp/index.js';
import {
  assemblePlan,
  type HostLivepatchState,
  isRefused,
  type LoadedPatch,
  type Plan,
} from '../../src/plan/index.js';

const compare = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

const manifest = (input: PatchManifestInput) => patchManifestSchema.parse(input);
const lp = (name: string, extra: Partial<PatchManifestInput> = {}) =>
  manifest({
    name,
    objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show'], callbacks: 'all' }],
    ...extra,
  });
const loaded = (m: ReturnType<typeof manifest>, version: string): LoadedPatch => ({
  manifest: m,
  to: version,
  enabled: true,
  transition: false,
});
const host = (kind: HostLivepatchState['kind'], patches: LoadedPatch[] = []): HostLivepatchState => ({
  kind,
  attributes: ['replace'],
  patches,
  modules: [],
});

function plan(result: ReturnType<typeof assemblePlan>): Plan {
  if (isRefused(result)) throw new Error(`refused: ${result.reason}`);
  return result;
}

describe('assemblePlan', () => {
  it('first load: one insmod, the predicted log is the kernel enabling the patch', () => {
    const v1 = lp('lp_v1', { states: [{ id: 1, version: 1 }] });
    const p = plan(
      assemblePlan(
        host('replace-bool'),
        { type: 'apply', patch: { manifest: v1, version: '1-1', sha256: 'ab' } },
        compare,
      ),
    );
    expect(p.kind).toBe('first-load');
    expect(p.steps).toEqual([{ op: 'load', patch: 'lp_v1', version: '1-1', sha256: 'ab' }]);
    expect(p.predictedLog[0]).toBe("livepatch: enabling patch 'lp_v1'");
    expect(p.predictedSysfs.map((s) => s.name)).toEqual(['lp_v1']);
  });

  it('cumulative upgrade on a replace-set kernel is atomic and leaves other sets alone', () => {
    const v1 = lp('lp_v1', { states: [{ id: 1, version: 1 }] });
    const hotfix = manifest({
      name: 'hotfix',
      replaceSet: 1,
      objects: [{ name: 'vmlinux', funcs: ['other'] }],
    });
    const v2 = lp('lp_v2', { states: [{ id: 1, version: 2 }] });
    const p = plan(
      assemblePlan(
        host('replace-set', [loaded(v1, '1-1'), loaded(hotfix, '1-1')]),
        { type: 'apply', patch: { manifest: v2, version: '2-1' } },
        compare,
      ),
    );
    expect(p.kind).toBe('upgrade-atomic');
    expect(p.steps).toEqual([
      { op: 'load', patch: 'lp_v2', version: '2-1' },
      { op: 'unload', patch: 'lp_v1' },
    ]);
    expect(p.predictedSysfs.map((s) => s.name)).toEqual(['hotfix', 'lp_v2']);
    expect(p.predictedLog.filter((l) => l.startsWith('lp_v1:'))).toEqual([]);
  });

  it('on replace-bool with only one set loaded, a replace=1 build upgrades atomically', () => {
    const v1 = lp('lp_v1', { replace: true });
    const v2 = lp('lp_v2', { replace: true });
    const p = plan(
      assemblePlan(
        host('replace-bool', [loaded(v1, '1-1')]),
        { type: 'apply', patch: { manifest: v2, version: '2-1' } },
        compare,
      ),
    );
    expect(p.kind).toBe('upgrade-atomic');
  });

  it('on replace-bool a replace=1 build is refused while another set is loaded', () => {
    const v1 = lp('lp_v1', { replace: true });
    const hotfix = manifest({
      name: 'hotfix',
      replaceSet: 1,
      objects: [{ name: 'vmlinux', funcs: ['other'] }],
    });
    const v2 = lp('lp_v2', { replace: true });
    const result = assemblePlan(
      host('replace-bool', [loaded(v1, '1-1'), loaded(hotfix, '1')]),
      { type: 'apply', patch: { manifest: v2, version: '2-1' } },
      compare,
    );
    expect(result).toMatchObject({
      refused: true,
      reason: expect.stringContaining("would also replace 'hotfix' (replace set 1)"),
    });
  });

  it('on replace-bool a replace=0 build upgrades in two steps, and the plan says how callbacks differ', () => {
    const v1 = lp('lp_v1');
    const hotfix = manifest({
      name: 'hotfix',
      replaceSet: 1,
      objects: [{ name: 'vmlinux', funcs: ['other'] }],
    });
    const v2 = lp('lp_v2');
    const p = plan(
      assemblePlan(
        host('replace-bool', [loaded(v1, '1-1'), loaded(hotfix, '1')]),
        { type: 'apply', patch: { manifest: v2, version: '2-1' } },
        compare,
      ),
    );
    expect(p.kind).toBe('upgrade-two-step');
    expect(p.steps.map((s) => `${s.op} ${s.patch}`)).toEqual([
      'load lp_v2',
      'disable lp_v1',
      'wait-removed lp_v1',
      'unload lp_v1',
    ]);
    expect(p.notes.join(' ')).toContain('pre_unpatch and post_unpatch');
    expect(p.predictedLog).toContain('lp_v1: pre_unpatch_callback: vmlinux');
    expect(p.predictedSysfs.map((s) => s.name)).toEqual(['hotfix', 'lp_v2']);
  });

  it('downgrade v2 -> v1 is disable, wait, unload v2, then load v1; never a replace backwards', () => {
    const v2 = lp('lp_v2', { states: [{ id: 1, version: 2 }] });
    const v1 = lp('lp_v1', { states: [{ id: 1, version: 1 }] });
    const p = plan(
      assemblePlan(
        host('replace-set', [loaded(v2, '2-1')]),
        { type: 'apply', patch: { manifest: v1, version: '1-1' } },
        compare,
      ),
    );
    expect(p.kind).toBe('downgrade');
    expect(p.steps.map((s) => `${s.op} ${s.patch}`)).toEqual([
      'disable lp_v2',
      'wait-removed lp_v2',
      'unload lp_v2',
      'load lp_v1',
    ]);
  });

  it('the simulator refuses an upgrade that drops a state, and the plan says why', () => {
    const v1 = lp('lp_v1', { states: [{ id: 1, version: 1 }] });
    const v2 = lp('lp_v2');
    const result = assemblePlan(
      host('replace-set', [loaded(v1, '1-1')]),
      { type: 'apply', patch: { manifest: v2, version: '2-1' } },
      compare,
    );
    expect(result).toMatchObject({
      refused: true,
      reason:
        "the kernel would refuse 'load lp_v2' with EINVAL: it replaces 'lp_v1' but does not carry its state 1",
    });
  });

  it('removal, nothing to do, and reboot', () => {
    const v1 = lp('lp_v1');
    const h = host('replace-bool', [loaded(v1, '1-1')]);
    expect(plan(assemblePlan(h, { type: 'remove', patch: 'lp_v1' }, compare)).steps.map((s) => s.op)).toEqual(
      ['disable', 'wait-removed', 'unload'],
    );
    expect(
      plan(assemblePlan(h, { type: 'apply', patch: { manifest: v1, version: '1-1' } }, compare)).kind,
    ).toBe('nothing');
    const reboot = plan(
      assemblePlan(h, { type: 'reboot', reason: 'kernel build abc is end of life' }, compare),
    );
    expect(reboot).toMatchObject({ kind: 'reboot', steps: [] });
  });

  it('nothing changes while a patch is in transition', () => {
    const v1 = lp('lp_v1');
    const result = assemblePlan(
      host('replace-bool', [{ ...loaded(v1, '1-1'), transition: true }]),
      { type: 'remove', patch: 'lp_v1' },
      compare,
    );
    expect(result).toMatchObject({
      refused: true,
      reason: expect.stringContaining("'lp_v1' is in transition"),
    });
  });
});
