import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyStep,
  createSystem,
  describeSystem,
  type KernelKind,
  type KlpEvent,
  type KlpSystem,
  type Scenario,
  scenarioSchema,
  stepContext,
} from '../../src/klp/index.js';
import { validForKind } from '../support/klp-scenario.js';

// Invariants the kernel keeps whatever operators do, checked over random step sequences.

const FUNCS = ['a', 'b', 'c'] as const;
const MODULES = [{ name: 'm', funcs: ['m_fn'] }];
const PATCHES = ['p1', 'p2', 'p3', 'p4', 'p5'] as const;

const patchArb = (name: string, kind: KernelKind) =>
  fc.record({
    name: fc.constant(name),
    replace: fc.boolean(),
    replaceSet: fc.integer({ min: 0, max: 2 }),
    obsoletes:
      kind === 'provides'
        ? fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { maxLength: 2 })
        : fc.constant([]),
    states: fc.uniqueArray(
      fc.record({ id: fc.integer({ min: 1, max: 2 }), version: fc.integer({ min: 1, max: 3 }) }),
      {
        selector: (s) => s.id,
        maxLength: 2,
      },
    ),
    objects: fc
      .tuple(fc.subarray([...FUNCS], { minLength: 1 }), fc.boolean())
      .map(([funcs, withModule]) => [
        { name: 'vmlinux', funcs, callbacks: 'all' as const },
        ...(withModule ? [{ name: 'm', funcs: ['m_fn'], callbacks: 'all' as const }] : []),
      ]),
  });

const names = fc.constantFrom(...PATCHES, 'm');
const patchNames = fc.constantFrom(...PATCHES);
const stepArb = fc.oneof(
  { weight: 4, arbitrary: names.map((n) => ({ load: n })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(patchNames, fc.constantFrom(0, -19))
      .map(([n, r]) => ({ load: n, params: { pre_patch_ret: r } })),
  },
  { weight: 2, arbitrary: names.map((n) => ({ unload: n })) },
  { weight: 2, arbitrary: patchNames.map((n) => ({ disable: n })) },
  { weight: 1, arbitrary: patchNames.map((n) => ({ enable: n })) },
  { weight: 1, arbitrary: patchNames.map((n) => ({ signal: n })) },
  { weight: 1, arbitrary: patchNames.map((n) => ({ force: n })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(patchNames, fc.constantFrom(0, -19))
      .map(([n, r]) => ({ set: { patch: n, pre_patch_ret: r } })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('t1', 't2'), fc.constantFrom('a', 'b', 'm_fn'), fc.boolean())
      .map(([task, func, interruptible]) => ({ block: { task, func, interruptible } })),
  },
  { weight: 2, arbitrary: fc.constantFrom('t1', 't2').map((t) => ({ unblock: t })) },
);

const scenarioArb = (kind: KernelKind) =>
  fc
    .record({
      patches: fc.tuple(...PATCHES.map((name) => patchArb(name, kind))),
      steps: fc.array(stepArb, { maxLength: 40 }),
    })
    .map(({ patches, steps }) =>
      scenarioSchema.parse(validForKind({ kernel: { livepatch: kind }, modules: MODULES, patches, steps })),
    );

/** Expected winners derived from the list, independently of the func stacks. */
function expectedWinners(view: ReturnType<typeof describeSystem>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const patch of view.sysfs) {
    if (patch.enabled !== 1) continue;
    for (const obj of patch.objects) {
      if (obj.patched !== 1) continue;
      for (const func of obj.funcs) out[`${obj.name}:${func}`] = patch.name;
    }
  }
  return out;
}

function snapshot(sys: KlpSystem): string {
  return JSON.stringify({ view: describeSystem(sys), stacks: [...sys.funcStacks], t: sys.transition });
}

function checkRun(scenario: Scenario): void {
  const ctx = stepContext(scenario);
  let sys = createSystem(scenario.kernel.livepatch);
  const armed = new Map<string, boolean>();
  for (const step of scenario.steps) {
    const before = snapshot(sys);
    const result = applyStep(sys, step, ctx);
    expect(snapshot(sys), 'applyStep must not change the system it is given').toBe(before);
    sys = result.system;
    checkCallbackOrder(result.events, armed);
    const view = describeSystem(sys);
    const inTransition = view.sysfs.filter((p) => p.transition === 1);
    expect(inTransition.length).toBeLessThanOrEqual(1);
    for (const patch of view.sysfs) {
      expect(
        view.modules.find((m) => m.name === patch.name)?.removable,
        `listed patch ${patch.name} keeps its module`,
      ).toBe(false);
    }
    if (inTransition.length === 0) {
      expect(view.tasks.filter((t) => t.blocking)).toEqual([]);
      expect(view.tasks.every((t) => t.patchState === -1)).toBe(true);
      const winners = Object.fromEntries(Object.entries(view.funcs).filter(([, w]) => w !== null));
      expect(winners).toEqual(expectedWinners(view));
      if (sys.kind !== 'replace-bool') {
        const sets = view.sysfs.filter((p) => p.enabled === 1).map((p) => p.replace_set ?? p.provides);
        expect(new Set(sets).size, 'one enabled patch per replace set').toBe(sets.length);
        const funcs = view.sysfs.flatMap((p) =>
          p.objects.flatMap((o) => o.funcs.map((f) => `${o.name}:${f}`)),
        );
        expect(new Set(funcs).size, 'no function patched by two enabled patches').toBe(funcs.length);
      }
    }
  }
}

/** post_unpatch of an object never runs unless a pre_patch of that object ran since its last post_unpatch. */
function checkCallbackOrder(events: ReadonlyArray<KlpEvent>, armed: Map<string, boolean>): void {
  for (const event of events) {
    if (event.type !== 'callback') continue;
    const key = `${event.patch}/${event.module ?? 'vmlinux'}`;
    if (event.callback === 'pre_patch') armed.set(key, true);
    if (event.callback === 'post_unpatch') {
      expect(armed.get(key), `post_unpatch of ${key} without a pre_patch before it`).toBe(true);
      armed.set(key, false);
    }
  }
}

describe('invariants over random step sequences', () => {
  for (const kind of ['replace-bool', 'replace-set', 'provides'] as const) {
    it(`hold on a ${kind} kernel`, () => {
      fc.assert(fc.property(scenarioArb(kind), checkRun), { numRuns: 400 });
    });
  }
});
