import { describe, expect, it } from 'vitest';
import { enableLog, simulate } from '../support/klp-scenario.js';

// Hand-worked from kernel/livepatch/transition.c (klp_check_stack_func, klp_reverse_transition,
// klp_force_transition) and the "busy target module" case of test-callbacks.sh.

const busyModule = { name: 'busy', funcs: ['busy_fn'] };
const busyPatch = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...extra,
  objects: [
    { name: 'vmlinux', funcs: ['cmdline_proc_show'], callbacks: 'all' as const },
    { name: 'busy', funcs: ['busy_fn'], callbacks: 'all' as const },
  ],
});

/** A patch for a busy module and for a module loaded later. */
const withLateModule = {
  kernel: { livepatch: 'replace-bool' as const },
  modules: [busyModule, { name: 'late' }],
  patches: [
    {
      name: 'p1',
      objects: [
        { name: 'busy', funcs: ['busy_fn'], callbacks: 'all' as const },
        { name: 'late', funcs: ['late_fn'], callbacks: 'all' as const },
      ],
    },
  ],
};

const stalledStart = (patch: string) => [
  `livepatch: enabling patch '${patch}'`,
  `livepatch: '${patch}': initializing patching transition`,
  `${patch}: pre_patch_callback: vmlinux`,
  `${patch}: pre_patch_callback: busy -> [MODULE_STATE_LIVE] Normal state`,
  `livepatch: '${patch}': starting patching transition`,
];

describe('per-task switching', () => {
  it('a task sleeping in the function being patched blocks the transition until it leaves', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('p1')],
      steps: [{ load: 'busy' }, { block: { task: 'worker', func: 'busy_fn' } }, { load: 'p1' }],
    });
    expect(log).toEqual(stalledStart('p1'));
    expect(sim.sysfs[0]).toMatchObject({ enabled: 1, transition: 1 });
    expect(sim.tasks).toEqual([
      { name: 'worker', patchState: 0, sleepingIn: 'busy:busy_fn,1', blocking: true },
    ]);
    // Until the transition completes, the blocked task still runs the original.
    expect(sim.funcs).toEqual({ 'busy:busy_fn,1': 'p1', 'vmlinux:cmdline_proc_show,1': 'p1' });

    const done = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('p1')],
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { unblock: 'worker' },
      ],
    });
    expect(done.log.slice(5)).toEqual([
      "livepatch: 'p1': completing patching transition",
      'p1: post_patch_callback: vmlinux',
      'p1: post_patch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': patching complete",
    ]);
  });

  it('a task that has not switched yet runs the old code of every function in transition (klp_ftrace_handler)', () => {
    const { sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'busy', funcs: ['busy_fn', 'other_fn'] }],
      patches: [{ name: 'p1', objects: [{ name: 'busy', funcs: ['busy_fn', 'other_fn'] }] }],
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        // still unpatched, the worker now sleeps in the original other_fn: it still blocks
        { block: { task: 'worker', func: 'other_fn' } },
      ],
    });
    expect(sim.tasks).toEqual([
      { name: 'worker', patchState: 0, sleepingIn: 'busy:other_fn,1', blocking: true },
    ]);
    expect(sim.sysfs[0]?.transition).toBe(1);
  });

  it('a task sleeping in a function the patch does not change does not block', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [{ name: 'busy', funcs: ['busy_fn', 'other_fn'] }],
      patches: [busyPatch('p1')],
      steps: [{ load: 'busy' }, { block: { task: 'worker', func: 'other_fn' } }, { load: 'p1' }],
    });
    expect(log.at(-1)).toBe("livepatch: 'p1': patching complete");
  });

  it('while one transition runs, others get EBUSY: a load and a disable', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [
        { name: 'p0', objects: [{ name: 'vmlinux', funcs: ['x'] }] },
        busyPatch('p1'),
        busyPatch('p2'),
      ],
      steps: [
        { load: 'p0' },
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { load: 'p2' },
        { disable: 'p0' },
        { signal: 'p0' },
        { force: 'p0' },
      ],
    });
    expect(log.slice(-4)).toEqual([
      '% load p2: EBUSY Device or resource busy',
      '% disable p0: EBUSY Device or resource busy',
      '% signal p0: EINVAL Invalid argument',
      '% force p0: EINVAL Invalid argument',
    ]);
  });

  it('writing 0 to enabled reverses a stalled patching transition; no pre_unpatch runs', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('p1')],
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { disable: 'p1' },
        { unload: 'p1' },
      ],
    });
    // The worker never switched, so the reversed transition completes at once.
    expect(log).toEqual([
      ...stalledStart('p1'),
      "livepatch: 'p1': reversing transition from patching to unpatching",
      "livepatch: 'p1': starting unpatching transition",
      "livepatch: 'p1': completing unpatching transition",
      'p1: post_unpatch_callback: vmlinux',
      'p1: post_unpatch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': unpatching complete",
    ]);
    expect(sim.modules.map((m) => m.name)).toEqual(['busy']);
  });

  it('an unpatching transition blocked by a task in the patched code reverses back to patching', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('p1')],
      steps: [
        { load: 'busy' },
        { load: 'p1' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { disable: 'p1' },
        { enable: 'p1' },
      ],
    });
    expect(log.slice(-10)).toEqual([
      "livepatch: 'p1': initializing unpatching transition",
      'p1: pre_unpatch_callback: vmlinux',
      'p1: pre_unpatch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': starting unpatching transition",
      "livepatch: 'p1': reversing transition from unpatching to patching",
      "livepatch: 'p1': starting patching transition",
      "livepatch: 'p1': completing patching transition",
      'p1: post_patch_callback: vmlinux',
      'p1: post_patch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': patching complete",
    ]);
  });

  it('signal makes an interruptible sleeper leave; an uninterruptible one stays', () => {
    const base = {
      kernel: { livepatch: 'replace-bool' as const },
      modules: [busyModule],
      patches: [busyPatch('p1')],
    };
    const stays = simulate({
      ...base,
      steps: [
        { load: 'busy' },
        { block: { task: 'kthread', func: 'busy_fn' } },
        { load: 'p1' },
        { signal: 'p1' },
      ],
    });
    expect(stays.sim.sysfs[0]?.transition).toBe(1);
    const leaves = simulate({
      ...base,
      steps: [
        { load: 'busy' },
        { block: { task: 'reader', func: 'busy_fn', interruptible: true } },
        { load: 'p1' },
        { signal: 'p1' },
      ],
    });
    expect(leaves.sim.sysfs[0]?.transition).toBe(0);
    expect(leaves.log.slice(5, 7)).toEqual([
      'livepatch: signaling remaining tasks',
      "livepatch: 'p1': completing patching transition",
    ]);
    expect(leaves.log.at(-1)).toBe("livepatch: 'p1': patching complete");
    // klp_send_signals says so once per transition start.
    const twice = simulate({
      ...base,
      steps: [
        { load: 'busy' },
        { block: { task: 'kthread', func: 'busy_fn' } },
        { load: 'p1' },
        { signal: 'p1' },
        { signal: 'p1' },
      ],
    });
    expect(twice.log.filter((line) => line.includes('signaling'))).toEqual([
      'livepatch: signaling remaining tasks',
    ]);
  });

  it('force completes the transition; a forced unpatch pins the patch module forever', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('p1')],
      steps: [
        { load: 'busy' },
        { load: 'p1' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { disable: 'p1' },
        { force: 'p1' },
        { unblock: 'worker' },
        { unload: 'p1' },
      ],
    });
    expect(log.slice(-6)).toEqual([
      'livepatch: forcing remaining tasks to the patched state',
      "livepatch: 'p1': completing unpatching transition",
      'p1: post_unpatch_callback: vmlinux',
      'p1: post_unpatch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': unpatching complete",
      '% unload p1: EAGAIN Resource temporarily unavailable',
    ]);
    expect(sim.sysfs).toEqual([]);
    expect(sim.modules).toContainEqual({ name: 'p1', livepatch: true, removable: false });
  });

  it('forcing a patching transition pins the replaced patches, not the new one', () => {
    const { sim } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('v1'), busyPatch('v2', { replace: true })],
      steps: [
        { load: 'busy' },
        { load: 'v1' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'v2' },
        { force: 'v2' },
        { unload: 'v1' },
      ],
    });
    expect(sim.modules).toEqual([
      { name: 'busy', livepatch: false, removable: true },
      { name: 'v1', livepatch: true, removable: false },
      { name: 'v2', livepatch: true, removable: false },
    ]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['v2']);
  });

  it('a task in the replaced patch blocks a replace; a task in the original blocks a NOP going away only on unpatching', () => {
    const { sim, log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [
        busyPatch('v1'),
        { name: 'v2', replace: true, objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show'] }] },
      ],
      steps: [
        { load: 'busy' },
        { load: 'v1' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'v2' },
      ],
    });
    // worker runs v1's busy_fn; v2 brings a NOP for it, so the patching transition checks v1's code.
    expect(sim.sysfs.map((p) => [p.name, p.transition])).toEqual([
      ['v1', 0],
      ['v2', 1],
    ]);
    expect(sim.sysfs[1]?.objects).toEqual([
      { name: 'vmlinux', patched: 1, funcs: ['cmdline_proc_show,1'] },
      { name: 'busy', patched: 1, funcs: ['busy_fn,1'] },
    ]);
    expect(log.at(-1)).toBe("livepatch: 'v2': starting patching transition");
  });

  it('a module loaded during a patching transition gets pre_patch now and post_patch only when it completes forwards', () => {
    const forwards = simulate({
      ...withLateModule,
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { load: 'late' },
        { unblock: 'worker' },
      ],
    });
    expect(forwards.log.slice(4)).toEqual([
      "livepatch: applying patch 'p1' to loading module 'late'",
      'p1: pre_patch_callback: late -> [MODULE_STATE_COMING] Full formed, running module_init',
      "livepatch: 'p1': completing patching transition",
      'p1: post_patch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      'p1: post_patch_callback: late -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': patching complete",
    ]);
  });

  it('a module loaded during a patching transition that is then reversed gets post_unpatch, never post_patch', () => {
    const { log } = simulate({
      ...withLateModule,
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { load: 'late' },
        { disable: 'p1' },
      ],
    });
    expect(log.slice(4)).toEqual([
      "livepatch: applying patch 'p1' to loading module 'late'",
      'p1: pre_patch_callback: late -> [MODULE_STATE_COMING] Full formed, running module_init',
      "livepatch: 'p1': reversing transition from patching to unpatching",
      "livepatch: 'p1': starting unpatching transition",
      "livepatch: 'p1': completing unpatching transition",
      'p1: post_unpatch_callback: busy -> [MODULE_STATE_LIVE] Normal state',
      'p1: post_unpatch_callback: late -> [MODULE_STATE_LIVE] Normal state',
      "livepatch: 'p1': unpatching complete",
    ]);
  });

  it('a target module removed during the transition is reverted without pre_unpatch', () => {
    const { log } = simulate({
      ...withLateModule,
      steps: [
        { load: 'busy' },
        { load: 'late' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { unload: 'late' },
      ],
    });
    expect(log.slice(-2)).toEqual([
      "livepatch: reverting patch 'p1' on unloading module 'late'",
      'p1: post_unpatch_callback: late -> [MODULE_STATE_GOING] Going away',
    ]);
  });

  it('unloading the module a task sleeps in ends that sleep and lets the transition complete', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      patches: [busyPatch('p1')],
      steps: [
        { load: 'busy' },
        { block: { task: 'worker', func: 'busy_fn' } },
        { load: 'p1' },
        { unload: 'busy' },
      ],
    });
    expect(log.slice(5)).toEqual([
      "livepatch: reverting patch 'p1' on unloading module 'busy'",
      'p1: post_unpatch_callback: busy -> [MODULE_STATE_GOING] Going away',
      "livepatch: 'p1': completing patching transition",
      'p1: post_patch_callback: vmlinux',
      "livepatch: 'p1': patching complete",
    ]);
  });

  it('block on a function of a module that is not loaded is refused', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      modules: [busyModule],
      steps: [{ block: { task: 'worker', func: 'busy_fn' } }],
    });
    expect(log).toEqual(['% block worker busy_fn: ENOENT No such file or directory']);
  });

  it('enableLog matches a plain patch (sanity of the helper)', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-bool' },
      patches: [{ name: 'p1', objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: 'all' }] }],
      steps: [{ load: 'p1' }],
    });
    expect(log).toEqual(enableLog('p1'));
  });
});
