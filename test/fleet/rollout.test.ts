import { describe, expect, it } from 'vitest';
import {
  actOnRollout,
  advanceRollout,
  budgetOf,
  eventFailure,
  fleetPlanOf,
  type Gate,
  gatedPlan,
  gatesFor,
  hostPercentile,
  newRollout,
  placeHost,
  type Rollout,
  type RolloutHost,
  type RolloutSpec,
  reportChange,
  rolloutSpecSchema,
  viewOfStatus,
  waveOf,
} from '../../src/fleet/index.js';
import { planUpdate } from '../../src/plan/index.js';
import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';
import { rpmvercmp } from '../../src/version/index.js';
import { R_BUILD, R_OTHER, rolloutIndex, statusWith } from '../support/rollout-fixtures.js';

const T0 = Date.parse('2026-11-22T00:00:00Z');
const MIN = 60_000;
const time = { now: T0, expiryWindowDays: 30 };

const spec = (waves: RolloutSpec['waves']): RolloutSpec => ({
  component: 'kernel',
  replaceSet: 0,
  to: '6.12.117-1.3',
  waves,
});
const wave = (
  name: string,
  select: RolloutSpec['waves'][number]['select'],
  more: Partial<RolloutSpec['waves'][number]> = {},
) => ({
  name,
  select,
  failureBudget: 0,
  soak: '10m',
  deadline: '1h',
  ...more,
});

const host = (hostId: string, w: number, more: Partial<RolloutHost> = {}): RolloutHost => ({
  hostId,
  wave: w,
  buildId: R_BUILD,
  fromTo: '6.12.117-1.1',
  planGivenAt: null,
  appliedAt: null,
  failure: null,
  acknowledged: false,
  lastSeen: T0,
  interval: 600,
  ...more,
});

const started = (waves: RolloutSpec['waves']): Rollout =>
  newRollout(spec(waves), { id: 'r1', to: '6.12.117-1.3', now: T0, createdBy: 'tok' });

describe('RO-MEMBER: wave membership', () => {
  it('the percentile of a host id is stable and spread over [0, 100)', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `host-${i}`);
    const first = ids.map(hostPercentile);
    expect(ids.map(hostPercentile)).toEqual(first);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...first)).toBeLessThan(100);
    const under10 = first.filter((p) => p < 10).length;
    expect(under10).toBeGreaterThan(140);
    expect(under10).toBeLessThan(260);
  });

  it('percent waves are cumulative and the first wave that selects a host wins', () => {
    const waves = [
      wave('canary', { label: 'canary:yes' }),
      wave('one', { percent: 1 }),
      wave('ten', { percent: 10 }),
      wave('all', { percent: 100 }),
    ];
    const ids = Array.from({ length: 3000 }, (_, i) => `h${i}`);
    const placed = ids.map((id, i) => waveOf(waves, { id, labels: i % 100 === 0 ? ['canary:yes'] : [] }));
    expect(placed.filter((w) => w === 0)).toHaveLength(30);
    for (const [i, id] of ids.entries()) {
      if (i % 100 === 0) continue;
      const p = hostPercentile(id);
      expect(placed[i]).toBe(p < 1 ? 1 : p < 10 ? 2 : 3);
    }
    // a host no wave selects stays (-1)
    expect(waveOf([wave('a', { label: 'x:y' })], { id: 'h1', labels: [] })).toBe(-1);
  });
});

describe('RO-SCOPE and placing', () => {
  it('a host whose build has no livepatch at `to` is out of scope; one already on `to` is applied', () => {
    const rollout = started([wave('all', { percent: 100 })]);
    const index = rolloutIndex();
    expect(
      placeHost(
        rollout,
        { hostId: 'o', labels: [], buildId: R_OTHER, status: statusWith(null, R_OTHER) },
        index,
        T0,
      ),
    ).toEqual({
      kind: 'out-of-scope',
    });
    const fresh = placeHost(
      rollout,
      { hostId: 'a', labels: [], buildId: R_BUILD, status: statusWith('lp_1') },
      index,
      T0,
    );
    expect(fresh).toMatchObject({
      kind: 'member',
      host: { fromTo: '6.12.117-1.1', appliedAt: null, wave: 0 },
    });
    const done = placeHost(
      rollout,
      { hostId: 'b', labels: [], buildId: R_BUILD, status: statusWith('lp_3') },
      index,
      T0,
    );
    expect(done).toMatchObject({ kind: 'member', host: { fromTo: '6.12.117-1.3', appliedAt: T0 } });
  });
});

describe('RO-BUDGET', () => {
  it('a count, or the floor of a percentage of the wave', () => {
    expect(budgetOf(2, 50)).toBe(2);
    expect(budgetOf('10%', 25)).toBe(2);
    expect(budgetOf('10%', 9)).toBe(0);
    expect(budgetOf('100%', 7)).toBe(7);
  });

  it('the schema takes both forms and refuses others with the path', () => {
    const ok = rolloutSpecSchema.safeParse(spec([wave('a', { percent: 5 }, { failureBudget: '5%' })]));
    expect(ok.success).toBe(true);
    const bad = rolloutSpecSchema.safeParse(
      spec([wave('a', { percent: 5 }, { failureBudget: 'five' as never })]),
    );
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['waves', 0, 'failureBudget']);
    const badSoak = rolloutSpecSchema.safeParse(spec([wave('a', { percent: 5 }, { soak: '10 minutes' })]));
    expect(badSoak.error?.issues[0]?.path).toEqual(['waves', 0, 'soak']);
    const both = rolloutSpecSchema.safeParse({ ...spec([wave('a', { percent: 5 })]), update: 'U-3' });
    expect(both.success).toBe(false);
  });
});

describe('RO-WAVE, RO-HALT: advancing', () => {
  const waves = [
    wave('canary', { label: 'canary:yes' }, { failureBudget: 0 }),
    wave('rest', { percent: 100 }, { failureBudget: '50%' }),
  ];

  it('opens the first wave, then the next once every host applied and the soak passed', () => {
    const r0 = started(waves);
    const a = advanceRollout(r0, [host('c1', 0), host('h1', 1)], T0);
    expect(a.rollout.waves.map((w) => w.state)).toEqual(['open', 'pending']);
    // applied, soak not over
    const b = advanceRollout(
      a.rollout,
      [host('c1', 0, { appliedAt: T0 + MIN }), host('h1', 1)],
      T0 + 5 * MIN,
    );
    expect(b.rollout.waves.map((w) => w.state)).toEqual(['soaking', 'pending']);
    // 10 minutes after the last apply: done, and the next wave opens in the same step
    const c = advanceRollout(
      b.rollout,
      [host('c1', 0, { appliedAt: T0 + MIN }), host('h1', 1)],
      T0 + 11 * MIN,
    );
    expect(c.rollout.waves.map((w) => w.state)).toEqual(['done', 'open']);
    expect(c.rollout.waves[1]!.openedAt).toBe(T0 + 11 * MIN);
    const d = advanceRollout(
      c.rollout,
      [host('c1', 0, { appliedAt: T0 + MIN }), host('h1', 1, { appliedAt: T0 + 12 * MIN })],
      T0 + 30 * MIN,
    );
    expect(d.rollout.state).toBe('done');
    expect(d.notices).toEqual(['done']);
  });

  it('with `loaded`, a wave whose hosts were not read is opened and the step stops there', () => {
    const three = [...waves, wave('last', { percent: 100 })];
    const a = advanceRollout(started(three), [host('c1', 0, { appliedAt: T0 })], T0 + 20 * MIN, new Set([0]));
    expect(a.rollout.waves.map((w) => w.state)).toEqual(['done', 'open', 'pending']);
    // without `loaded` the same hosts mean the later waves are empty: all done
    expect(
      advanceRollout(started(three), [host('c1', 0, { appliedAt: T0 })], T0 + 20 * MIN).rollout.state,
    ).toBe('done');
  });

  it('an empty wave completes at once', () => {
    const a = advanceRollout(started(waves), [host('h1', 1)], T0);
    expect(a.rollout.waves.map((w) => w.state)).toEqual(['done', 'open']);
  });

  it('a failure beyond the budget halts with the reason and the host; within it the wave goes on', () => {
    const a = advanceRollout(started(waves), [host('c1', 0)], T0);
    const failed = host('c1', 0, { failure: { at: T0 + MIN, reason: 'apply failed at step 0' } });
    const b = advanceRollout(a.rollout, [failed, host('h1', 1)], T0 + MIN);
    expect(b.rollout.state).toBe('halted');
    expect(b.rollout.haltedHosts).toEqual(['c1']);
    expect(b.rollout.reason).toContain('c1 (apply failed at step 0)');
    expect(b.notices).toEqual(['halted']);
    // a halted rollout does not move
    expect(advanceRollout(b.rollout, [failed], T0 + 100 * MIN).rollout).toBe(b.rollout);
    // 50% of 4 hosts = 2 may fail
    const r = {
      ...started(waves),
      waves: [{ ...started(waves).waves[0]!, state: 'done' as const }, started(waves).waves[1]!],
    };
    const hosts = ['h1', 'h2', 'h3', 'h4'].map((id, i) =>
      host(id, 1, i < 2 ? { failure: { at: T0, reason: 'x' } } : { appliedAt: T0 }),
    );
    expect(advanceRollout(r, hosts, T0).rollout.state).toBe('running');
    const three = hosts.map((h, i) =>
      i === 2 ? { ...h, appliedAt: null, failure: { at: T0, reason: 'y' } } : h,
    );
    expect(advanceRollout(r, three, T0).rollout.state).toBe('halted');
  });

  it('RO-DEADLINE: a host that has not applied by the deadline fails; RO-SILENT: a silent one after its plan', () => {
    const a = advanceRollout(started(waves), [host('c1', 0)], T0);
    const before = advanceRollout(a.rollout, [host('c1', 0)], T0 + 59 * MIN);
    expect(before.failures).toEqual([]);
    const after = advanceRollout(a.rollout, [host('c1', 0)], T0 + 60 * MIN);
    expect(after.failures[0]).toMatchObject({
      hostId: 'c1',
      failure: { reason: expect.stringContaining('deadline') },
    });
    expect(after.rollout.state).toBe('halted');
    const silent = advanceRollout(
      a.rollout,
      [host('c1', 0, { planGivenAt: T0, lastSeen: T0, interval: 60 })],
      T0 + 3 * MIN,
    );
    expect(silent.failures[0]?.failure.reason).toBe('silent after its plan was given');
    // a host that reports keeps its place
    const talking = advanceRollout(
      a.rollout,
      [host('c1', 0, { planGivenAt: T0, lastSeen: T0 + 2 * MIN, interval: 60 })],
      T0 + 3 * MIN,
    );
    expect(talking.failures).toEqual([]);
  });

  it('RO-ACTION: resume acknowledges, pause stops opening, abort and rollback end it', () => {
    const halted = { ...started(waves), state: 'halted' as const, reason: 'x' };
    const resumed = actOnRollout(halted, 'resume', T0, 'tok');
    expect(resumed).toMatchObject({ ok: true, acknowledge: true, rollout: { state: 'running', reason: '' } });
    // an acknowledged failure no longer counts: the wave completes
    const r = started(waves);
    const ack = host('c1', 0, { failure: { at: T0, reason: 'x' }, acknowledged: true });
    expect(
      advanceRollout(
        { ...r, waves: [{ ...r.waves[0]!, state: 'open', openedAt: T0 }, r.waves[1]!] },
        [ack],
        T0 + 20 * MIN,
      ).rollout.waves[0]!.state,
    ).toBe('done');
    expect(actOnRollout(started(waves), 'resume', T0, 'tok')).toMatchObject({ ok: false });
    const paused = actOnRollout(started(waves), 'pause', T0, 'tok');
    expect(paused).toMatchObject({ ok: true, rollout: { state: 'paused' } });
    if (paused.ok) expect(advanceRollout(paused.rollout, [], T0).rollout.waves[0]!.state).toBe('pending');
    expect(actOnRollout(started(waves), 'abort', T0, 'tok')).toMatchObject({
      ok: true,
      rollout: { state: 'aborted' },
    });
    expect(actOnRollout({ ...started(waves), state: 'aborted' }, 'rollback', T0, 'tok')).toMatchObject({
      ok: true,
      rollout: { state: 'rolled-back' },
    });
    expect(actOnRollout({ ...started(waves), state: 'rolled-back' }, 'rollback', T0, 'tok')).toMatchObject({
      ok: false,
    });
  });
});

describe('RO-FAIL: what counts as a failure', () => {
  const open = advanceRollout(started([wave('all', { percent: 100 })]), [host('h1', 0)], T0).rollout;
  const member = host('h1', 0);
  const ev = (more: object) => ({
    kind: 'apply' as const,
    planHash: 'c'.repeat(64),
    outcome: 'ok' as const,
    step: null,
    reason: '',
    blocking: [],
    log: ["livepatch: enabling patch 'lp_3'"],
    predictedLog: ["livepatch: enabling patch 'lp_3'"],
    ...more,
  });
  it('a failed step, a reversed transition, a refused plan, a log unlike the prediction', () => {
    expect(
      eventFailure(
        open,
        member,
        ev({ outcome: 'failed', step: { index: 1, op: 'load', patch: 'lp_3' }, reason: 'insmod: -22' }),
        T0,
      )?.reason,
    ).toBe('apply failed at step 1 (load lp_3): insmod: -22');
    expect(eventFailure(open, member, ev({ outcome: 'reversed', reason: 'stalled' }), T0)?.reason).toContain(
      'reversed',
    );
    expect(
      eventFailure(open, member, ev({ outcome: 'refused', reason: 'sha256 differs' }), T0)?.reason,
    ).toContain('sha256 differs');
    expect(eventFailure(open, member, ev({ log: ['livepatch: failed to enable'] }), T0)?.reason).toBe(
      'the kernel log differs from the predicted one',
    );
    expect(eventFailure(open, member, ev({}), T0)).toBeUndefined();
    // a host of a wave not open yet: nothing counts
    const pending = started([wave('all', { percent: 100 })]);
    expect(eventFailure(pending, member, ev({ outcome: 'failed' }), T0)).toBeUndefined();
  });

  it('a reboot into another build after the apply, within the soak; applied and plan given from a report', () => {
    const index = rolloutIndex();
    const plan = gatedPlan(statusWith('lp_1'), R_BUILD, index, time, [
      { replaceSet: 0, kind: 'at-most', to: '6.12.117-1.3', why: '' },
    ]);
    expect(
      reportChange(open, member, { buildId: R_BUILD, status: statusWith('lp_1') }, plan, index, T0),
    ).toEqual({ planGivenAt: T0 });
    expect(
      reportChange(open, member, { buildId: R_BUILD, status: statusWith('lp_3') }, plan, index, T0),
    ).toMatchObject({ appliedAt: T0 });
    const applied = { ...member, appliedAt: T0 };
    expect(
      reportChange(open, applied, { buildId: R_OTHER, status: statusWith(null, R_OTHER) }, plan, index, T0)
        .failure?.reason,
    ).toBe(`rebooted into build ${R_OTHER} within the soak`);
  });
});

describe('RO-GATE, RO-PIN: what a plan offers', () => {
  const index = rolloutIndex();
  const waves = [wave('canary', { label: 'canary:yes' }), wave('rest', { percent: 100 })];
  const opened = advanceRollout(started(waves), [host('h', 1)], T0).rollout; // canary is empty: done, rest open
  const first = advanceRollout(started(waves), [host('c', 0)], T0).rollout; // canary open, rest pending
  const toOf = (plan: { sets: ReadonlyArray<{ to: string | null }> }) => plan.sets.map((s) => s.to);

  it('without gates the plan is the plain one: the newest', () => {
    expect(gatesFor({ id: 'h', labels: [] }, [], [], [])).toEqual([]);
    expect(toOf(gatedPlan(statusWith('lp_1'), R_BUILD, index, time, []))).toEqual(['6.12.117-1.3']);
  });

  it('before its wave opens a host gets the newest below the rollout version; after, the rollout version', () => {
    const gates = gatesFor(
      { id: 'h', labels: [] },
      [first],
      [{ rolloutId: 'r1', wave: 1, fromTo: '6.12.117-1.1' }],
      [],
    );
    expect(gates).toMatchObject([{ kind: 'below', to: '6.12.117-1.3' }]);
    const before = gatedPlan(statusWith('lp_1'), R_BUILD, index, time, gates);
    expect(toOf(before)).toEqual(['6.12.117-1.2']);
    const open = gatesFor(
      { id: 'h', labels: [] },
      [opened],
      [{ rolloutId: 'r1', wave: 1, fromTo: '6.12.117-1.1' }],
      [],
    );
    expect(toOf(gatedPlan(statusWith('lp_1'), R_BUILD, index, time, open))).toEqual(['6.12.117-1.3']);
  });

  it('RO-NO-DOWNGRADE: a host already past the bound is offered nothing', () => {
    const gates = gatesFor(
      { id: 'h', labels: [] },
      [first],
      [{ rolloutId: 'r1', wave: 1, fromTo: '6.12.117-1.3' }],
      [],
    );
    const plan = gatedPlan(statusWith('lp_3'), R_BUILD, index, time, gates);
    expect(plan.steps).toEqual([]);
  });

  it('a pin wins over the rollout: host pin first, then label pin', () => {
    const pins = [
      {
        target: { label: 'site:a' },
        component: 'kernel',
        replaceSet: 0,
        to: '6.12.117-1.1',
        createdAt: '',
        createdBy: '',
      },
      {
        target: { host: 'h' },
        component: 'kernel',
        replaceSet: 0,
        to: '6.12.117-1.2',
        createdAt: '',
        createdBy: '',
      },
    ];
    const m = [{ rolloutId: 'r1', wave: 1, fromTo: '6.12.117-1.1' }];
    expect(gatesFor({ id: 'h', labels: ['site:a'] }, [opened], m, pins)).toMatchObject([
      { kind: 'at-most', to: '6.12.117-1.2' },
    ]);
    expect(gatesFor({ id: 'g', labels: ['site:a'] }, [opened], m, pins)).toMatchObject([
      { kind: 'at-most', to: '6.12.117-1.1' },
    ]);
    const pinned = gatesFor({ id: 'h', labels: [] }, [], [], pins);
    expect(toOf(gatedPlan(statusWith(null), R_BUILD, index, time, pinned))).toEqual(['6.12.117-1.2']);
  });

  it('a done rollout gates nothing; a rolled-back one plans the host back to what it ran', () => {
    expect(
      gatesFor(
        { id: 'h', labels: [] },
        [{ ...opened, state: 'done' }],
        [{ rolloutId: 'r1', wave: 1, fromTo: '6.12.117-1.1' }],
        [],
      ),
    ).toEqual([]);
    const back = gatesFor(
      { id: 'h', labels: [] },
      [{ ...opened, state: 'rolled-back' }],
      [{ rolloutId: 'r1', wave: 1, fromTo: '6.12.117-1.1' }],
      [],
    );
    const plan = gatedPlan(statusWith('lp_3'), R_BUILD, index, time, back);
    expect(plan.request).toEqual({ type: 'rollback', to: '6.12.117-1.1' });
    expect(plan.steps.map((s) => s.op)).toContain('load');
    expect(plan.steps.find((s) => s.op === 'load')).toMatchObject({ patch: 'lp_1' });
    // once back on 1.1 it stays there
    const settled = gatedPlan(statusWith('lp_1'), R_BUILD, index, time, back);
    expect(settled.steps).toEqual([]);
  });
});

describe('the agent makes the same plan of a gated one (its planHash check)', () => {
  const index = rolloutIndex();
  const cases: Array<[string, string | null, Gate[]]> = [
    [
      'below the version, wave not open',
      'lp_1',
      [{ replaceSet: 0, kind: 'below', to: '6.12.117-1.3', why: '' }],
    ],
    [
      'at most the version, wave open',
      'lp_1',
      [{ replaceSet: 0, kind: 'at-most', to: '6.12.117-1.3', why: '' }],
    ],
    ['pinned, nothing loaded', null, [{ replaceSet: 0, kind: 'at-most', to: '6.12.117-1.2', why: '' }]],
    ['in no wave', 'lp_2', [{ replaceSet: 0, kind: 'hold', to: null, why: '' }]],
    ['rolled back', 'lp_3', [{ replaceSet: 0, kind: 'rollback', to: '6.12.117-1.1', why: '' }]],
  ];
  for (const [name, loaded, gates] of cases)
    it(name, () => {
      const status = statusWith(loaded);
      const server = gatedPlan(status, R_BUILD, index, time, gates);
      const offered = parseRepositoryIndex(JSON.stringify(server.offered), 'the fleet server');
      const agent = fleetPlanOf(
        planUpdate({
          request: server.request ?? { type: 'apply' },
          view: viewOfStatus(status),
          index: indexRepository(offered),
          buildId: R_BUILD,
          time,
          compare: rpmvercmp,
        }),
        server.offered,
      );
      expect(agent.planHash).toBe(server.planHash);
      expect(agent.steps).toEqual(server.steps);
    });

  it('a gate that leaves nothing to offer says so, with no steps', () => {
    const plan = gatedPlan(statusWith(null), R_BUILD, index, time, [
      { replaceSet: 0, kind: 'hold', to: null, why: 'rollout r1 (running): in no wave' },
    ]);
    expect(plan.steps).toEqual([]);
    expect(plan.sets).toMatchObject([
      {
        replaceSet: 0,
        kind: 'held',
        to: null,
        reason: 'held by rollout r1 (running): in no wave: nothing is offered',
      },
    ]);
  });
});
