import { describe, expect, it } from 'vitest';
import { disableLog, enableLog, simulate } from '../support/klp-scenario.js';

// Expected logs are worked out by hand from kernel/livepatch/core.c and transition.c (6.1) and the
// transcripts of tools/testing/selftests/livepatch/test-callbacks.sh.

const vmlinuxPatch = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...extra,
  objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show'], callbacks: 'all' as const }],
});

describe('patch lifecycle (core.c)', () => {
  it('load enables, disable unpatches, unload only after the patch left the list', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [vmlinuxPatch('p1')],
      steps: [{ load: 'p1' }, { unload: 'p1' }, { disable: 'p1' }, { unload: 'p1' }],
    });
    expect(log).toEqual([
      ...enableLog('p1'),
      '% unload p1: EAGAIN Resource temporarily unavailable',
      ...disableLog('p1'),
    ]);
    expect(sim.sysfs).toEqual([]);
    expect(sim.modules).toEqual([]);
  });

  it('a patch is enabled once: 1 > enabled on an enabled patch is EINVAL, on a disabled one ENOENT', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [vmlinuxPatch('p1')],
      steps: [
        { load: 'p1' },
        { enable: 'p1' },
        { disable: 'p1' },
        { enable: 'p1' },
        { disable: 'p1' },
        { load: 'p1' },
      ],
    });
    expect(log).toEqual([
      ...enableLog('p1'),
      '% enable p1: EINVAL Invalid argument',
      ...disableLog('p1'),
      '% enable p1: ENOENT No such file or directory',
      '% disable p1: ENOENT No such file or directory',
      '% load p1: EEXIST File exists',
    ]);
  });

  it('a failing pre_patch cancels the enable: earlier objects get only post_unpatch, no START line', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'mod_a' }],
      patches: [
        {
          name: 'p1',
          objects: [
            { name: 'vmlinux', funcs: ['f'], callbacks: 'all' },
            { name: 'mod_a', funcs: ['g'], callbacks: 'all' },
          ],
        },
      ],
      steps: [{ load: 'mod_a' }, { load: 'p1', params: { pre_patch_ret: -19 } }],
    });
    // pre_patch_ret applies to every pre_patch of the patch: vmlinux, the first object, fails already.
    expect(log).toEqual([
      "livepatch: enabling patch 'p1'",
      "livepatch: 'p1': initializing patching transition",
      'p1: pre_patch_callback: vmlinux',
      "livepatch: pre-patch callback failed for object 'vmlinux'",
      "livepatch: failed to enable patch 'p1'",
      "livepatch: 'p1': canceling patching transition, going to unpatch",
      "livepatch: 'p1': completing unpatching transition",
      "livepatch: 'p1': unpatching complete",
      '% load p1: ENODEV No such device',
    ]);
    expect(sim.modules.map((m) => m.name)).toEqual(['mod_a']);
  });

  it('an object prepared before the failing one gets post_unpatch on cancel', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'mod_a' }],
      patches: [
        {
          name: 'p1',
          objects: [
            { name: 'vmlinux', funcs: ['f'], callbacks: ['post_patch', 'post_unpatch'] },
            { name: 'mod_a', funcs: ['g'], callbacks: 'all' },
          ],
        },
      ],
      steps: [{ load: 'mod_a' }, { load: 'p1', params: { pre_patch_ret: -22 } }],
    });
    expect(log).toEqual([
      "livepatch: enabling patch 'p1'",
      "livepatch: 'p1': initializing patching transition",
      'p1: pre_patch_callback: mod_a -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: pre-patch callback failed for object 'mod_a'",
      "livepatch: failed to enable patch 'p1'",
      "livepatch: 'p1': canceling patching transition, going to unpatch",
      "livepatch: 'p1': completing unpatching transition",
      'p1: post_unpatch_callback: vmlinux',
      "livepatch: 'p1': unpatching complete",
      '% load p1: EINVAL Invalid argument',
    ]);
  });

  it('a target module coming and going is patched and reverted at once (klp_module_coming/going)', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'mod_a', funcs: ['g'] }],
      patches: [{ name: 'p1', objects: [{ name: 'mod_a', funcs: ['g'], callbacks: 'all' }] }],
      steps: [{ load: 'p1' }, { load: 'mod_a' }, { unload: 'mod_a' }],
    });
    expect(log).toEqual([
      ...enableLog('p1', false),
      "livepatch: applying patch 'p1' to loading module 'mod_a'",
      'p1: pre_patch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      'p1: post_patch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      'p1: pre_unpatch_callback: mod_a -> [MODULE_STATE_GOING] Going away',
      "livepatch: reverting patch 'p1' on unloading module 'mod_a'",
      'p1: post_unpatch_callback: mod_a -> [MODULE_STATE_GOING] Going away',
    ]);
  });

  it('a module whose pre_patch fails is refused, and patches applied before are reverted', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'mod_a' }],
      patches: [
        { name: 'p1', objects: [{ name: 'mod_a', funcs: ['g'], callbacks: 'all' }] },
        { name: 'p2', objects: [{ name: 'mod_a', funcs: ['h'], callbacks: 'all' }] },
      ],
      steps: [
        { load: 'p1' },
        { load: 'p2' },
        { set: { patch: 'p2', pre_patch_ret: -19 } },
        { load: 'mod_a' },
      ],
    });
    expect(log).toEqual([
      ...enableLog('p1', false),
      ...enableLog('p2', false),
      "livepatch: applying patch 'p1' to loading module 'mod_a'",
      'p1: pre_patch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      'p1: post_patch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      "livepatch: applying patch 'p2' to loading module 'mod_a'",
      'p2: pre_patch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      "livepatch: pre-patch callback failed for object 'mod_a'",
      "livepatch: patch 'p2' failed for module 'mod_a', refusing to load module 'mod_a'",
      'p1: pre_unpatch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      "livepatch: reverting patch 'p1' on unloading module 'mod_a'",
      'p1: post_unpatch_callback: mod_a -> [MODULE_STATE_COMING] Full formed, running module_init',
      '% load mod_a: ENODEV No such device',
    ]);
    expect(sim.modules.map((m) => m.name)).toEqual(['p1', 'p2']);
    expect(sim.funcs).toEqual({});
  });

  it('set on a module that is not loaded is ENOENT', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [vmlinuxPatch('p1')],
      steps: [{ set: { patch: 'p1', pre_patch_ret: -19 } }],
    });
    expect(log).toEqual(['% set p1 pre_patch_ret=-19: ENOENT No such file or directory']);
  });
});

describe('atomic replace (replace-bool)', () => {
  it('only the replacing patch runs callbacks; the replaced one leaves the list and becomes removable', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [
        { name: 'v1', objects: [{ name: 'vmlinux', funcs: ['a', 'b'], callbacks: 'all' }] },
        { name: 'v2', replace: true, objects: [{ name: 'vmlinux', funcs: ['a'], callbacks: 'all' }] },
      ],
      steps: [{ load: 'v1' }, { load: 'v2' }, { unload: 'v1' }],
    });
    expect(log).toEqual([...enableLog('v1'), ...enableLog('v2')]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['v2']);
    // b returned to the original (its NOP was discarded with v1); a runs v2.
    expect(sim.funcs).toEqual({ 'vmlinux:a,1': 'v2' });
    expect(sim.modules.map((m) => m.name)).toEqual(['v2']);
  });

  it('without replace patches stack: the newest wins per func, disable in any order, stack_order closes up', () => {
    const { sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [
        { name: 'p1', objects: [{ name: 'vmlinux', funcs: ['a', 'b'] }] },
        { name: 'p2', objects: [{ name: 'vmlinux', funcs: ['a'] }] },
        { name: 'p3', objects: [{ name: 'vmlinux', funcs: ['c'] }] },
      ],
      steps: [{ load: 'p1' }, { load: 'p2' }, { load: 'p3' }, { disable: 'p2' }],
    });
    expect(sim.funcs).toEqual({ 'vmlinux:a,1': 'p1', 'vmlinux:b,1': 'p1', 'vmlinux:c,1': 'p3' });
    expect(sim.sysfs.map((p) => [p.name, p.stack_order, p.replace])).toEqual([
      ['p1', 1, 0],
      ['p3', 2, 0],
    ]);
  });

  it('the kernel attributes of 6.1 (no replace, no stack_order) can be chosen', () => {
    const { sim } = simulate({
      kernel: { livepatch: 'replace-bool', attributes: [] },
      patches: [vmlinuxPatch('p1')],
      steps: [{ load: 'p1' }],
    });
    expect(sim.sysfs).toEqual([
      {
        name: 'p1',
        enabled: 1,
        transition: 0,
        objects: [{ name: 'vmlinux', patched: 1, funcs: ['cmdline_proc_show,1'] }],
      },
    ]);
  });
});

describe('system states (state.c)', () => {
  it('a replacing patch must carry every state of what it replaces', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [
        vmlinuxPatch('v1', { states: [{ id: 1, version: 1 }] }),
        vmlinuxPatch('v2', { replace: true, states: [{ id: 2, version: 1 }] }),
      ],
      steps: [{ load: 'v1' }, { load: 'v2' }],
    });
    expect(log.slice(-2)).toEqual([
      'livepatch: Livepatch patch (v2) is not compatible with the already installed livepatches.',
      '% load v2: EINVAL Invalid argument',
    ]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['v1']);
  });

  it('no patch may bring an older state version, replacing or not', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [
        vmlinuxPatch('v2', { states: [{ id: 1, version: 2 }] }),
        vmlinuxPatch('v1', { states: [{ id: 1, version: 1 }] }),
        vmlinuxPatch('v3', { replace: true, states: [{ id: 1, version: 2 }] }),
      ],
      steps: [{ load: 'v2' }, { load: 'v1' }, { load: 'v3' }],
    });
    expect(log).toEqual([
      ...enableLog('v2'),
      'livepatch: Livepatch patch (v1) is not compatible with the already installed livepatches.',
      '% load v1: EINVAL Invalid argument',
      ...enableLog('v3'),
    ]);
  });

  it('the state check comes before the busy check', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'busy', funcs: ['busy_fn'] }],
      patches: [
        {
          name: 'v1',
          states: [{ id: 1, version: 2 }],
          objects: [{ name: 'busy', funcs: ['busy_fn'] }],
        },
        vmlinuxPatch('v0', { states: [{ id: 1, version: 1 }] }),
        vmlinuxPatch('v2'),
      ],
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'v1' },
        { load: 'v0' },
        { load: 'v2' },
      ],
    });
    expect(log.slice(-4)).toEqual([
      "livepatch: 'v1': starting patching transition",
      'livepatch: Livepatch patch (v0) is not compatible with the already installed livepatches.',
      '% load v0: EINVAL Invalid argument',
      '% load v2: EBUSY Device or resource busy',
    ]);
  });
});

describe('NOPs (klp_add_nops, klp_find_func)', () => {
  it('a replace from f at sympos 0 to f at sympos 1 adds no NOP: they are one function', () => {
    const { sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'busy', funcs: ['busy_fn'] }],
      patches: [
        {
          name: 'v1',
          objects: [
            { name: 'vmlinux', funcs: [{ name: 'f', sympos: 0 }] },
            { name: 'busy', funcs: ['busy_fn'] },
          ],
        },
        {
          name: 'v2',
          replace: true,
          objects: [
            { name: 'vmlinux', funcs: [{ name: 'f', sympos: 1 }] },
            { name: 'busy', funcs: ['busy_fn'] },
          ],
        },
      ],
      steps: [
        { load: 'busy' },
        { load: 'v1' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'v2' },
      ],
    });
    // v2 is held in transition, so its func directories, NOPs included, are still there.
    expect(sim.sysfs[1]?.objects.map((o) => o.funcs)).toEqual([['f,1'], ['busy_fn,1']]);
  });
});
