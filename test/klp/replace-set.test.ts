import { describe, expect, it } from 'vitest';
import { enableLog, simulate } from '../support/klp-scenario.js';

// The replace-set kind as klpm's replace-set design (docs/klp-semantics.md) and the replace_set series on the live-patching list describe it:
// a patch replaces exactly the enabled patches of its own set; sets share no function and no state id.

const notCompatible = (patch: string) => [
  `livepatch: Livepatch patch (${patch}) is not compatible with the already installed livepatches.`,
  `% load ${patch}: EINVAL Invalid argument`,
];

describe('replace-set kind', () => {
  it('enabling a patch replaces the enabled patches of its set and leaves other sets alone', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-set' },
      patches: [
        { name: 'a1', replaceSet: 0, objects: [{ name: 'vmlinux', funcs: ['f', 'g'], callbacks: 'all' }] },
        { name: 'b1', replaceSet: 1, objects: [{ name: 'vmlinux', funcs: ['h'], callbacks: 'all' }] },
        { name: 'a2', replaceSet: 0, objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: 'all' }] },
      ],
      steps: [{ load: 'a1' }, { load: 'b1' }, { load: 'a2' }, { unload: 'a1' }, { unload: 'b1' }],
    });
    expect(log).toEqual([
      ...enableLog('a1'),
      ...enableLog('b1'),
      ...enableLog('a2'),
      '% unload b1: EAGAIN Resource temporarily unavailable',
    ]);
    expect(sim.sysfs.map((p) => [p.name, p.replace_set])).toEqual([
      ['b1', 1],
      ['a2', 0],
    ]);
    expect(sim.funcs).toEqual({ 'vmlinux:f,1': 'a2', 'vmlinux:h,1': 'b1' });
    expect(sim.sysfs[0]).not.toHaveProperty('replace');
    expect(sim.sysfs[0]).not.toHaveProperty('stack_order');
  });

  it('patches of different sets may not patch the same function (sympos 0 and 1 are one function)', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-set' },
      patches: [
        { name: 'a1', replaceSet: 0, objects: [{ name: 'vmlinux', funcs: [{ name: 'f', sympos: 0 }] }] },
        { name: 'b1', replaceSet: 1, objects: [{ name: 'vmlinux', funcs: [{ name: 'f', sympos: 1 }] }] },
        { name: 'b2', replaceSet: 1, objects: [{ name: 'vmlinux', funcs: [{ name: 'f', sympos: 2 }] }] },
        { name: 'c1', replaceSet: 2, objects: [{ name: 'mod_x', funcs: ['f'] }] },
      ],
      steps: [{ load: 'a1' }, { load: 'b1' }, { load: 'b2' }, { load: 'c1' }],
    });
    expect(log).toEqual([
      ...enableLog('a1', false),
      ...notCompatible('b1'),
      ...enableLog('b2', false),
      ...enableLog('c1', false),
    ]);
  });

  it('patches of different sets may not share a state id, whatever the versions', () => {
    const { log } = simulate({
      kernel: { livepatch: 'replace-set' },
      patches: [
        {
          name: 'a1',
          replaceSet: 0,
          states: [{ id: 7, version: 1 }],
          objects: [{ name: 'vmlinux', funcs: ['f'] }],
        },
        {
          name: 'b1',
          replaceSet: 1,
          states: [{ id: 7, version: 3 }],
          objects: [{ name: 'vmlinux', funcs: ['g'] }],
        },
      ],
      steps: [{ load: 'a1' }, { load: 'b1' }],
    });
    expect(log.slice(-2)).toEqual(notCompatible('b1'));
  });

  it('a replacing patch of the same set must carry its states with version >=', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-set' },
      patches: [
        {
          name: 'v1',
          replaceSet: 3,
          states: [{ id: 1, version: 2 }],
          objects: [{ name: 'vmlinux', funcs: ['f'] }],
        },
        {
          name: 'v0',
          replaceSet: 3,
          states: [{ id: 1, version: 1 }],
          objects: [{ name: 'vmlinux', funcs: ['f'] }],
        },
        { name: 'vx', replaceSet: 3, objects: [{ name: 'vmlinux', funcs: ['f'] }] },
        {
          name: 'v2',
          replaceSet: 3,
          states: [{ id: 1, version: 2 }],
          objects: [{ name: 'vmlinux', funcs: ['f'] }],
        },
      ],
      steps: [{ load: 'v1' }, { load: 'v0' }, { load: 'vx' }, { load: 'v2' }],
    });
    expect(log).toEqual([
      ...enableLog('v1', false),
      ...notCompatible('v0'),
      ...notCompatible('vx'),
      ...enableLog('v2', false),
    ]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['v2']);
  });

  it('a downgrade is disable, wait for the directory to go, unload, load (never a replace backwards)', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'replace-set' },
      patches: [
        {
          name: 'v1',
          states: [{ id: 1, version: 1 }],
          objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: 'all' }],
        },
        {
          name: 'v2',
          states: [{ id: 1, version: 2 }],
          objects: [{ name: 'vmlinux', funcs: ['f', 'g'], callbacks: 'all' }],
        },
      ],
      steps: [
        { load: 'v1' },
        { load: 'v2' },
        { unload: 'v1' },
        { disable: 'v2' },
        { unload: 'v2' },
        { load: 'v1' },
      ],
    });
    expect(log.slice(-enableLog('v1').length)).toEqual(enableLog('v1'));
    expect(sim.sysfs.map((p) => p.name)).toEqual(['v1']);
  });
});

describe('provides kind', () => {
  it('obsoletes replaces the named ids in the same transition; without it the load is refused', () => {
    const hotfix = {
      name: 'hotfix',
      provides: 7,
      objects: [{ name: 'vmlinux', funcs: ['f'], callbacks: 'all' as const }],
    };
    const vendor = (obsoletes: number[]) => ({
      name: 'vendor',
      provides: 0,
      obsoletes,
      objects: [{ name: 'vmlinux', funcs: ['f', 'g'], callbacks: 'all' as const }],
    });
    const withObsoletes = simulate({
      kernel: { livepatch: 'provides' },
      patches: [hotfix, vendor([7])],
      steps: [{ load: 'hotfix' }, { load: 'vendor' }, { unload: 'hotfix' }],
    });
    expect(withObsoletes.log).toEqual([...enableLog('hotfix'), ...enableLog('vendor')]);
    expect(withObsoletes.sim.sysfs).toEqual([
      {
        name: 'vendor',
        enabled: 1,
        transition: 0,
        provides: 0,
        obsoletes: '7',
        objects: [{ name: 'vmlinux', patched: 1, funcs: ['f,1', 'g,1'] }],
      },
    ]);
    const without = simulate({
      kernel: { livepatch: 'provides' },
      patches: [hotfix, vendor([])],
      steps: [{ load: 'hotfix' }, { load: 'vendor' }],
    });
    expect(without.log.slice(-2)).toEqual(notCompatible('vendor'));
  });

  it('obsoletes works one way: a later patch providing an obsoleted id replaces nothing of the obsoleting one', () => {
    const { log, sim } = simulate({
      kernel: { livepatch: 'provides' },
      patches: [
        { name: 'vendor', provides: 0, obsoletes: [7], objects: [{ name: 'vmlinux', funcs: ['f'] }] },
        { name: 'hotfix2', provides: 7, objects: [{ name: 'vmlinux', funcs: ['h'] }] },
        { name: 'hotfix3', provides: 7, objects: [{ name: 'vmlinux', funcs: ['f'] }] },
      ],
      steps: [{ load: 'vendor' }, { load: 'hotfix2' }, { load: 'hotfix3' }],
    });
    expect(log.slice(-2)).toEqual(notCompatible('hotfix3'));
    expect(sim.sysfs.map((p) => p.name)).toEqual(['vendor', 'hotfix2']);
  });
});
