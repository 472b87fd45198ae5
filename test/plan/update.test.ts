import { describe, expect, it } from 'vitest';
import {
  type HostLivepatchView,
  isRefused,
  isSameHostState,
  observeHost,
  planUpdate,
  type UpdateInput,
  type UpdatePlan,
  updateOutcome,
} from '../../src/plan/index.js';
import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';
import { rpmvercmp } from '../../src/version/index.js';

// docs/plan.md, "Planning an update": P-NEEDS, P-UNKNOWN, P-SEQUENCE, P-SAME, P-OUTCOME.
const BUILD = '0011223344556677';
const TIME = { now: Date.parse('2026-11-22T00:00:00Z'), expiryWindowDays: 30 };

/** Set 0: a cumulative patch; set 1: a hotfix, stacked (replace=0) unless `hotfixReplace`. */
function repository(hotfixReplace = false) {
  const entry = (to: string, replaceSet: number, name: string, replace: boolean, func: string) => ({
    component: 'kernel',
    baseBuildId: BUILD,
    base: '6.1.0-56',
    to,
    replaceSet,
    manifest: { name, replace, replaceSet, objects: [{ name: 'vmlinux', funcs: [func] }] },
  });
  return indexRepository(
    parseRepositoryIndex(
      JSON.stringify({
        format: 'klpm-repository-index',
        version: 1,
        updates: [
          {
            id: 'U-1',
            issued: '2026-11-01',
            livepatches: [
              entry('6.1.0-56.1', 0, 'lp_1', true, 'cmdline_proc_show'),
              entry('6.1.0-56.10', 1, 'hotfix_10', hotfixReplace, 'meminfo_proc_show'),
            ],
          },
        ],
      }),
      'index.json',
    ),
  );
}

const view = (patches: HostLivepatchView['patches'] = []): HostLivepatchView => ({
  release: '6.1.0-56-amd64',
  kind: patches.length === 0 ? undefined : 'replace-bool',
  attributes: [],
  patches,
  modules: [],
});

const mystery = {
  name: 'mystery',
  enabled: true,
  transition: false,
  replace: undefined,
  replaceSet: undefined,
  provides: undefined,
  obsoletes: undefined,
  stackOrder: undefined,
  version: undefined,
  objects: [{ name: 'vmlinux', patched: true, funcs: [{ name: 'version_proc_show', sympos: 1 }] }],
};

const input = (more: Partial<UpdateInput>): UpdateInput => ({
  request: { type: 'apply' },
  view: view(),
  index: repository(),
  buildId: BUILD,
  time: TIME,
  compare: rpmvercmp,
  ...more,
});

function planned(plan: UpdatePlan) {
  if (plan.kind !== 'planned') throw new Error(`not planned: ${JSON.stringify(plan)}`);
  return plan;
}

describe('planUpdate', () => {
  it('P-NEEDS: an unload needs neither a repository nor a build ID; an apply needs both', () => {
    const unload = planned(
      planUpdate(
        input({
          request: { type: 'unload', patch: 'mystery' },
          view: view([mystery]),
          index: undefined,
          buildId: undefined,
        }),
      ),
    );
    expect(unload.plans.map((p) => (isRefused(p.plan) ? 'refused' : p.plan.kind))).toEqual(['removal']);
    expect(planUpdate(input({ buildId: undefined }))).toEqual({ kind: 'input', missing: 'build-id' });
    expect(planUpdate(input({ index: undefined }))).toEqual({ kind: 'input', missing: 'repository' });
  });

  it('P-UNKNOWN: on replace-bool, a loaded patch the repository does not know refuses an apply', () => {
    const plan = planned(planUpdate(input({ view: view([mystery]) })));
    expect(plan.plans).toHaveLength(1);
    expect(plan.plans[0]?.plan).toMatchObject({
      refused: true,
      reason:
        "'mystery' is loaded but not in the repository: klpm cannot tell which replace set it belongs to; take it out first (klpm unload mystery)",
    });
    expect(updateOutcome(plan, { dryRun: false, resumed: false }).outcome).toBe('refused');
  });

  it('P-SEQUENCE: each set is planned from the simulated state after the previous set', () => {
    const plan = planned(planUpdate(input({})));
    expect(plan.plans.map((p) => [p.replaceSet, isRefused(p.plan) ? 'refused' : p.plan.kind])).toEqual([
      [0, 'first-load'],
      [1, 'first-load'],
    ]);
    expect(plan.plans[0]?.expected.patches).toEqual([]);
    expect(plan.plans[1]?.expected.patches.map((p) => [p.manifest.name, p.to, p.enabled])).toEqual([
      ['lp_1', '6.1.0-56.1', true],
    ]);
  });

  it('P-SEQUENCE: a later set that the earlier one makes impossible refuses the whole update up front', () => {
    // hotfix_10 has replace=1: after lp_1 is loaded it would replace it on a replace-bool kernel
    const plan = planned(planUpdate(input({ index: repository(true) })));
    expect(plan.plans.map((p) => isRefused(p.plan))).toEqual([false, true]);
    expect(updateOutcome(plan, { dryRun: false, resumed: false })).toEqual({
      outcome: 'refused',
      reason: expect.stringContaining(
        "'hotfix_10' has replace=1, which on this kernel would also replace 'lp_1'",
      ),
    });
  });

  it('a rollback to a version the repository does not offer is a bad request, not a throw', () => {
    expect(planUpdate(input({ request: { type: 'rollback', to: '6.1.0-56.9' } }))).toEqual({
      kind: 'bad-request',
      reason: `the repository offers no livepatch 6.1.0-56.9 for kernel build ${BUILD}: pick a version \`klpm status\` lists`,
    });
  });
});

describe('isSameHostState (P-SAME)', () => {
  it('tells a kernel that changed under klpm from one that did not', () => {
    const index = repository();
    const a = observeHost(view([mystery]), index, BUILD).state;
    expect(isSameHostState(a, observeHost(view([mystery]), index, BUILD).state)).toBe(true);
    expect(isSameHostState(a, observeHost(view([{ ...mystery, enabled: false }]), index, BUILD).state)).toBe(
      false,
    );
    expect(isSameHostState(a, observeHost(view(), index, BUILD).state)).toBe(false);
  });
});

describe('updateOutcome (P-OUTCOME)', () => {
  const empty = { kind: 'planned', plans: [], reason: 'already runs the newest livepatch' } as const;
  it('nothing to do, a dry run, done, and a resumed run that finished the work', () => {
    expect(updateOutcome(empty, { dryRun: false, resumed: false })).toEqual({
      outcome: 'nothing',
      reason: 'already runs the newest livepatch',
    });
    expect(updateOutcome(empty, { dryRun: false, resumed: true })).toEqual({ outcome: 'done', reason: '' });
    const plan = planned(planUpdate(input({})));
    expect(updateOutcome(plan, { dryRun: true, resumed: false }).outcome).toBe('dry-run');
    expect(updateOutcome(plan, { dryRun: false, resumed: false }).outcome).toBe('done');
  });
});
