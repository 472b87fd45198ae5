import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyStep,
  createSystem,
  describeSystem,
  type PatchManifest,
  type Scenario,
  scenarioSchema,
  stepContext,
} from '../../src/klp/index.js';
import { disableLog, enableLog, simulate, validForKind } from '../support/klp-scenario.js';

// The provides kernel kind, rule by rule as docs/klp-semantics-provides.md states them (P1..P13),
// then random step sequences checked against an oracle written here from those rules alone.

const notCompatible = (patch: string) => [
  `livepatch: Livepatch patch (${patch}) is not compatible with the already installed livepatches.`,
  `% load ${patch}: EINVAL Invalid argument`,
];

type Func = string | { name: string; sympos: number };
interface PatchInput {
  name: string;
  provides?: number;
  obsoletes?: number[];
  states?: Array<{ id: number; version: number }>;
  funcs?: Func[];
  moduleFuncs?: Func[];
}

/** A patch on vmlinux (and optionally module `m`), every callback on, as a manifest input. */
function patch(p: PatchInput) {
  const toFunc = (f: Func) => (typeof f === 'string' ? { name: f } : f);
  return {
    name: p.name,
    ...(p.provides === undefined ? {} : { provides: p.provides }),
    ...(p.obsoletes === undefined ? {} : { obsoletes: p.obsoletes }),
    ...(p.states === undefined ? {} : { states: p.states }),
    objects: [
      { name: 'vmlinux', funcs: (p.funcs ?? []).map(toFunc), callbacks: 'all' as const },
      ...(p.moduleFuncs ? [{ name: 'm', funcs: p.moduleFuncs.map(toFunc), callbacks: 'all' as const }] : []),
    ],
  };
}

function run(patches: PatchInput[], steps: Array<Record<string, unknown>>) {
  return simulate({ kernel: { livepatch: 'provides' }, patches: patches.map(patch), steps } as never);
}

describe('provides kind: rules', () => {
  it('P1: a patch without an id provides 0 and shows empty obsoletes; the next id-0 patch replaces it', () => {
    const { log, sim } = run(
      [
        { name: 'v1', funcs: ['f', 'g'] },
        { name: 'v2', funcs: ['f'] },
      ],
      [{ load: 'v1' }, { load: 'v2' }, { unload: 'v1' }],
    );
    expect(log).toEqual([...enableLog('v1'), ...enableLog('v2')]);
    expect(sim.sysfs).toEqual([
      {
        name: 'v2',
        enabled: 1,
        transition: 0,
        provides: 0,
        obsoletes: '',
        objects: [{ name: 'vmlinux', patched: 1, funcs: ['f,1'] }],
      },
    ]);
    // g was only v1's: its NOP made the original run again.
    expect(sim.funcs).toEqual({ 'vmlinux:f,1': 'v2' });
  });

  it('P2/P3: one transition replaces both the own id and every obsoleted id; no callback of theirs runs', () => {
    const { log, sim } = run(
      [
        { name: 'hotfix7', provides: 7, funcs: ['h'] },
        { name: 'hotfix8', provides: 8, funcs: ['k'] },
        { name: 'vendor1', provides: 0, funcs: ['f'] },
        { name: 'other5', provides: 5, funcs: ['z'] },
        { name: 'vendor2', provides: 0, obsoletes: [7, 8], funcs: ['f', 'h'] },
      ],
      [
        { load: 'hotfix7' },
        { load: 'hotfix8' },
        { load: 'vendor1' },
        { load: 'other5' },
        { load: 'vendor2' },
        { unload: 'hotfix7' },
        { unload: 'hotfix8' },
        { unload: 'vendor1' },
        { unload: 'other5' },
      ],
    );
    expect(log).toEqual([
      ...enableLog('hotfix7'),
      ...enableLog('hotfix8'),
      ...enableLog('vendor1'),
      ...enableLog('other5'),
      ...enableLog('vendor2'),
      '% unload other5: EAGAIN Resource temporarily unavailable',
    ]);
    expect(sim.sysfs.map((p) => [p.name, p.provides, p.obsoletes])).toEqual([
      ['other5', 5, ''],
      ['vendor2', 0, '7,8'],
    ]);
    expect(sim.funcs).toEqual({
      'vmlinux:f,1': 'vendor2',
      'vmlinux:h,1': 'vendor2',
      'vmlinux:z,1': 'other5',
    });
  });

  it('P3: a replaced patch leaves the list only when the transition completes', () => {
    const { log, sim } = run(
      [
        { name: 'hotfix7', provides: 7, funcs: ['f'] },
        { name: 'vendor', provides: 0, obsoletes: [7], funcs: ['f'] },
      ],
      [
        { load: 'hotfix7' },
        { block: { task: 't1', func: 'f' } },
        { load: 'vendor' },
        { unload: 'hotfix7' },
        { unblock: 't1' },
        { unload: 'hotfix7' },
      ],
    );
    expect(log).toEqual([
      ...enableLog('hotfix7'),
      "livepatch: enabling patch 'vendor'",
      "livepatch: 'vendor': initializing patching transition",
      'vendor: pre_patch_callback: vmlinux',
      "livepatch: 'vendor': starting patching transition",
      '% unload hotfix7: EAGAIN Resource temporarily unavailable',
      "livepatch: 'vendor': completing patching transition",
      'vendor: post_patch_callback: vmlinux',
      "livepatch: 'vendor': patching complete",
    ]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['vendor']);
  });

  it('P4: sharing a function with a patch it does not replace is refused, sympos 0 and 1 being one function', () => {
    const { log, sim } = run(
      [
        { name: 'hotfix7', provides: 7, funcs: [{ name: 'f', sympos: 0 }] },
        { name: 'same', provides: 0, funcs: [{ name: 'f', sympos: 1 }] },
        { name: 'other', provides: 0, funcs: [{ name: 'f', sympos: 2 }], moduleFuncs: ['f'] },
      ],
      [{ load: 'hotfix7' }, { load: 'same' }, { load: 'other' }],
    );
    // sympos 2 is another function, and f in module m is another object: both may coexist.
    expect(log).toEqual([...enableLog('hotfix7'), ...notCompatible('same'), ...enableLog('other')]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['hotfix7', 'other']);
  });

  it('P4: sharing a state id with a patch it does not replace is refused whatever the versions', () => {
    const { log } = run(
      [
        { name: 'hotfix7', provides: 7, states: [{ id: 3, version: 1 }], funcs: ['h'] },
        { name: 'newer', provides: 0, states: [{ id: 3, version: 5 }], funcs: ['f'] },
        { name: 'apart', provides: 0, states: [{ id: 4, version: 1 }], funcs: ['f'] },
      ],
      [{ load: 'hotfix7' }, { load: 'newer' }, { load: 'apart' }],
    );
    expect(log).toEqual([...enableLog('hotfix7'), ...notCompatible('newer'), ...enableLog('apart')]);
  });

  it('P5: a patch must carry each state of the patches it obsoletes, with a version at least as high', () => {
    const hotfix = { name: 'hotfix7', provides: 7, states: [{ id: 3, version: 2 }], funcs: ['f'] };
    const vendor = (name: string, states: Array<{ id: number; version: number }>) => ({
      name,
      provides: 0,
      obsoletes: [7],
      states,
      funcs: ['f'],
    });
    const { log } = run(
      [
        hotfix,
        vendor('missing', []),
        vendor('older', [{ id: 3, version: 1 }]),
        vendor('equal', [{ id: 3, version: 2 }]),
      ],
      [{ load: 'hotfix7' }, { load: 'missing' }, { load: 'older' }, { load: 'equal' }],
    );
    expect(log).toEqual([
      ...enableLog('hotfix7'),
      ...notCompatible('missing'),
      ...notCompatible('older'),
      ...enableLog('equal'),
    ]);
  });

  it('P6: while a transition runs, an incompatible patch gets EINVAL and a compatible one EBUSY', () => {
    const { log } = run(
      [
        { name: 'a', provides: 1, funcs: ['f'] },
        { name: 'clash', provides: 2, funcs: ['f'] },
        { name: 'fine', provides: 2, funcs: ['g'] },
      ],
      [{ block: { task: 't1', func: 'f' } }, { load: 'a' }, { load: 'clash' }, { load: 'fine' }],
    );
    expect(log).toEqual([
      "livepatch: enabling patch 'a'",
      "livepatch: 'a': initializing patching transition",
      'a: pre_patch_callback: vmlinux',
      "livepatch: 'a': starting patching transition",
      ...notCompatible('clash'),
      '% load fine: EBUSY Device or resource busy',
    ]);
  });

  it('P7: obsoletes naming an id nothing provides replaces nothing and is not an error', () => {
    const { log, sim } = run(
      [
        { name: 'hotfix5', provides: 5, funcs: ['h'] },
        { name: 'vendor', provides: 0, obsoletes: [9], funcs: ['f'] },
      ],
      [{ load: 'hotfix5' }, { load: 'vendor' }],
    );
    expect(log).toEqual([...enableLog('hotfix5'), ...enableLog('vendor')]);
    expect(sim.sysfs.map((p) => [p.name, p.obsoletes])).toEqual([
      ['hotfix5', ''],
      ['vendor', '9'],
    ]);
  });

  it('P8: obsoletes works one way: a later patch providing the obsoleted id replaces nothing of it', () => {
    const { log, sim } = run(
      [
        { name: 'vendor', provides: 0, obsoletes: [7], states: [{ id: 1, version: 1 }], funcs: ['f'] },
        { name: 'hotfix7a', provides: 7, funcs: ['h'] },
        { name: 'hotfix7b', provides: 7, states: [{ id: 1, version: 1 }], funcs: ['k'] },
        { name: 'hotfix7c', provides: 7, funcs: ['k'] },
      ],
      [{ load: 'vendor' }, { load: 'hotfix7a' }, { load: 'hotfix7b' }, { load: 'hotfix7c' }],
    );
    // 7b shares state 1 with the vendor patch it does not replace; 7c replaces 7a (same id) only.
    expect(log).toEqual([
      ...enableLog('vendor'),
      ...enableLog('hotfix7a'),
      ...notCompatible('hotfix7b'),
      ...enableLog('hotfix7c'),
    ]);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['vendor', 'hotfix7c']);
  });

  it('P10: sysfs shows provides and obsoletes in manifest order, and no replace, replace_set or stack_order', () => {
    const { sim } = run(
      [{ name: 'vendor', provides: 12, obsoletes: [7, 3], funcs: ['f'] }],
      [{ load: 'vendor' }],
    );
    expect(sim.sysfs).toEqual([
      {
        name: 'vendor',
        enabled: 1,
        transition: 0,
        provides: 12,
        obsoletes: '7,3',
        objects: [{ name: 'vmlinux', patched: 1, funcs: ['f,1'] }],
      },
    ]);
  });

  it('P11: forcing a patching transition pins the patches it replaces, not patches of other ids', () => {
    const { log, sim } = run(
      [
        { name: 'hotfix7', provides: 7, funcs: ['f'] },
        { name: 'other5', provides: 5, funcs: ['z'] },
        { name: 'vendor', provides: 0, obsoletes: [7], funcs: ['f'] },
      ],
      [
        { load: 'hotfix7' },
        { load: 'other5' },
        { block: { task: 't1', func: 'f' } },
        { load: 'vendor' },
        { force: 'vendor' },
        { unblock: 't1' },
        { disable: 'other5' },
        { unload: 'other5' },
        { unload: 'hotfix7' },
      ],
    );
    expect(log.at(-1)).toBe('% unload hotfix7: EAGAIN Resource temporarily unavailable');
    expect(sim.modules.find((m) => m.name === 'other5')).toBeUndefined();
    expect(sim.modules.find((m) => m.name === 'hotfix7')?.removable).toBe(false);
    expect(sim.sysfs.map((p) => p.name)).toEqual(['vendor']);
  });

  it('P12: disabling the vendor patch does not bring back what it replaced', () => {
    const { log, sim } = run(
      [
        { name: 'hotfix7', provides: 7, funcs: ['f'] },
        { name: 'vendor', provides: 0, obsoletes: [7], funcs: ['f'] },
      ],
      [
        { load: 'hotfix7' },
        { load: 'vendor' },
        { disable: 'vendor' },
        { unload: 'vendor' },
        { unload: 'hotfix7' },
      ],
    );
    // hotfix7 left the list when vendor's transition completed; both modules unload silently.
    expect(log).toEqual([...enableLog('hotfix7'), ...enableLog('vendor'), ...disableLog('vendor')]);
    expect(sim.sysfs).toEqual([]);
    expect(sim.funcs).toEqual({});
  });

  // Upstream commit 139560e8b973 (S8, in stable down to 5.10 and in every kernel the replace-set
  // series targets): klp_find_func matches old_sympos 0 and 1, so klp_add_object_nops adds no NOP
  // for a function the new patch patches under the other spelling. Without it the kernel tried to
  // create the sysfs directory `f,1` twice and the load failed.
  it('a replace from sympos 0 to sympos 1 of the same function adds no NOP', () => {
    const { log, sim } = run(
      [
        { name: 'v1', funcs: [{ name: 'f', sympos: 0 }] },
        { name: 'v2', funcs: [{ name: 'f', sympos: 1 }] },
      ],
      [{ load: 'v1' }, { block: { task: 't1', func: 'f' } }, { load: 'v2' }],
    );
    expect(log.slice(-4)).toEqual([
      "livepatch: enabling patch 'v2'",
      "livepatch: 'v2': initializing patching transition",
      'v2: pre_patch_callback: vmlinux',
      "livepatch: 'v2': starting patching transition",
    ]);
    expect(sim.sysfs.map((p) => [p.name, p.objects])).toEqual([
      ['v1', [{ name: 'vmlinux', patched: 1, funcs: ['f,1'] }]],
      ['v2', [{ name: 'vmlinux', patched: 1, funcs: ['f,1'] }]],
    ]);
  });

  it('P13: obsoletes on a replace-bool kernel is a scenario error naming the patch', () => {
    expect(() =>
      scenarioSchema.parse({
        kernel: { livepatch: 'replace-bool' },
        patches: [{ name: 'vendor', obsoletes: [7], objects: [] }],
        steps: [],
      }),
    ).toThrow(/patch 'vendor' sets obsoletes, which only a 'provides' kernel has/);
  });

  it('the manifest rejects an obsoletes id given twice and a negative id', () => {
    const parse = (obsoletes: number[]) =>
      scenarioSchema.safeParse({
        kernel: { livepatch: 'provides' },
        patches: [{ name: 'vendor', obsoletes, objects: [] }],
        steps: [],
      }).success;
    expect(parse([7, 7])).toBe(false);
    expect(parse([-1])).toBe(false);
    expect(parse([7, 3])).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Random step sequences. The oracle below knows only the rules (P2, P4, P5, P6), written from the
// docs, and the scenario's manifests; it never looks at the simulator's patch structures.

const FUNCS = [
  { name: 'a', sympos: 0 },
  { name: 'a', sympos: 1 },
  { name: 'b', sympos: 0 },
  { name: 'b', sympos: 2 },
  { name: 'c', sympos: 0 },
];
const PATCHES = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'] as const;

const patchArb = (name: string) =>
  fc.record({
    name: fc.constant(name),
    provides: fc.integer({ min: 0, max: 3 }),
    obsoletes: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
    states: fc.uniqueArray(
      fc.record({ id: fc.integer({ min: 1, max: 3 }), version: fc.integer({ min: 1, max: 3 }) }),
      { selector: (s) => s.id, maxLength: 2 },
    ),
    objects: fc
      .uniqueArray(fc.constantFrom(...FUNCS), {
        minLength: 1,
        maxLength: 3,
        selector: (f) => `${f.name},${f.sympos === 0 ? 1 : f.sympos}`,
      })
      .map((funcs) => [{ name: 'vmlinux', funcs, callbacks: 'all' as const }]),
  });

const patchNames = fc.constantFrom(...PATCHES);
const stepArb = fc.oneof(
  { weight: 6, arbitrary: patchNames.map((n) => ({ load: n })) },
  { weight: 3, arbitrary: patchNames.map((n) => ({ unload: n })) },
  { weight: 2, arbitrary: patchNames.map((n) => ({ disable: n })) },
  { weight: 1, arbitrary: patchNames.map((n) => ({ enable: n })) },
  { weight: 1, arbitrary: patchNames.map((n) => ({ force: n })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('t1', 't2'), fc.constantFrom('a', 'b'))
      .map(([task, func]) => ({ block: { task, func } })),
  },
  { weight: 2, arbitrary: fc.constantFrom('t1', 't2').map((t) => ({ unblock: t })) },
);

const scenarioArb = fc
  .record({ patches: fc.tuple(...PATCHES.map(patchArb)), steps: fc.array(stepArb, { maxLength: 40 }) })
  .map(({ patches, steps }) =>
    scenarioSchema.parse(validForKind({ kernel: { livepatch: 'provides' as const }, patches, steps })),
  );

const funcIds = (m: PatchManifest) =>
  m.objects.flatMap((o) => o.funcs.map((f) => `${o.name}:${f.name},${f.sympos === 0 ? 1 : f.sympos}`));

/** P2: does loading `incoming` replace the listed patch `listed`? */
const oracleReplaces = (incoming: PatchManifest, listed: PatchManifest) =>
  listed.replaceSet === incoming.replaceSet || incoming.obsoletes.includes(listed.replaceSet);

/** P4 and P5: may `incoming` be enabled next to the listed patches? */
function oracleCompatible(incoming: PatchManifest, listed: PatchManifest[]): boolean {
  return listed.every((old) => {
    if (oracleReplaces(incoming, old)) {
      return old.states.every((s) => incoming.states.some((n) => n.id === s.id && n.version >= s.version));
    }
    const shared = new Set(funcIds(old));
    return (
      !funcIds(incoming).some((f) => shared.has(f)) &&
      !incoming.states.some((s) => old.states.some((o) => o.id === s.id))
    );
  });
}

function checkAgainstOracle(scenario: Scenario): void {
  const ctx = stepContext(scenario);
  const manifests = new Map(scenario.patches.map((m) => [m.name, m]));
  let sys = createSystem('provides');
  for (const step of scenario.steps) {
    const before = describeSystem(sys);
    const listedBefore = before.sysfs.map((p) => manifests.get(p.name)!);
    const inTransitionBefore = before.sysfs.some((p) => p.transition === 1);
    const result = applyStep(sys, step, ctx);
    sys = result.system;
    const after = describeSystem(sys);

    if ('load' in step) {
      const incoming = manifests.get(step.load)!;
      const loaded = before.modules.some((m) => m.name === step.load);
      const expected = loaded
        ? 'EEXIST'
        : !oracleCompatible(incoming, listedBefore)
          ? 'EINVAL'
          : inTransitionBefore
            ? 'EBUSY'
            : undefined;
      expect(result.error?.errno, `load ${step.load}`).toBe(expected);
      if (expected === undefined && !after.sysfs.some((p) => p.transition === 1)) {
        // P2/P3: the replaced patches are gone, every other listed patch stays, the new one is last.
        const stays = listedBefore.filter((old) => !oracleReplaces(incoming, old)).map((m) => m.name);
        expect(after.sysfs.map((p) => p.name)).toEqual([...stays, incoming.name]);
      }
    }

    if (!after.sysfs.some((p) => p.transition === 1)) {
      const listed = after.sysfs.map((p) => manifests.get(p.name)!);
      expect(after.sysfs.every((p) => p.enabled === 1)).toBe(true);
      const ids = listed.map((m) => m.replaceSet);
      expect(new Set(ids).size, 'at most one enabled patch per provides id').toBe(ids.length);
      const funcs = listed.flatMap(funcIds);
      expect(new Set(funcs).size, 'no function patched by two enabled patches').toBe(funcs.length);
      const stateIds = listed.flatMap((m) => m.states.map((s) => s.id));
      expect(new Set(stateIds).size, 'no state id used by two enabled patches').toBe(stateIds.length);
      // Each patched function runs the code of the one listed patch that patches it.
      const owners = Object.fromEntries(listed.flatMap((m) => funcIds(m).map((f) => [f, m.name])));
      const winners = Object.fromEntries(Object.entries(after.funcs).filter(([, w]) => w !== null));
      expect(winners).toEqual(owners);
      for (const p of after.sysfs) {
        expect(p).not.toHaveProperty('replace');
        expect(p).not.toHaveProperty('replace_set');
        expect(p).not.toHaveProperty('stack_order');
        expect(p.obsoletes).toBe(manifests.get(p.name)!.obsoletes.join(','));
      }
    }
  }
}

describe('provides kind: random step sequences', () => {
  it('agree with the rules and keep the provides invariants', () => {
    fc.assert(fc.property(scenarioArb, checkAgainstOracle), { numRuns: 300 });
  });
});
