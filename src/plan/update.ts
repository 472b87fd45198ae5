import type { Applicability, EvaluationTime, RepositoryIndex } from '../repo/index.js';
import { assemblePlan, isRefused } from './assemble.js';
import {
  type HostLivepatchView,
  type HostStateResult,
  hostStateFromObserved,
  type KnownPatch,
} from './observed.js';
import { goalsFor, knownPatches, type UpdateRequest } from './request.js';
import type { CompareVersions, Goal, HostLivepatchState, Plan, RefusedPlan } from './types.js';

/** One replace set's goal and the plan for it, with the host state it was planned from. */
export interface SetPlan {
  readonly replaceSet: number;
  readonly goal: Goal;
  readonly plan: Plan | RefusedPlan;
  readonly applicability?: Applicability | undefined;
  /**
   * the state the plan starts from: the host as read for the first set, the simulated state after
   * the previous set's plan for the others. The shell checks the kernel shows it before the set runs.
   */
  readonly expected: HostLivepatchState;
}

/**
 * How an update ended. `refused`: nothing was changed (the simulator or a rule refused the plan, or a
 * file failed verification); `failed`: a step failed and the host is as the reason says; `reboot`:
 * no livepatch applies to the running build.
 */
export type UpdateOutcome = 'done' | 'nothing' | 'dry-run' | 'refused' | 'failed' | 'reboot';

/** Everything the planner is given: the request, what the host shows, the repository, the build. */
export interface UpdateInput {
  readonly request: UpdateRequest;
  readonly view: HostLivepatchView;
  /** undefined when there is none: only an unload can do without it (P-NEEDS) */
  readonly index: RepositoryIndex | undefined;
  /** the running kernel's build ID; undefined when it cannot be read */
  readonly buildId: string | undefined;
  readonly time: EvaluationTime;
  readonly compare: CompareVersions;
}

/**
 * What an update was planned into. `input` names what is missing for it (the CLI picks the words);
 * `planned` carries a plan per replace set the request touches, or `reason` when there is none.
 */
export type UpdatePlan =
  | { readonly kind: 'input'; readonly missing: 'build-id' | 'repository' }
  | { readonly kind: 'bad-request'; readonly reason: string }
  | { readonly kind: 'planned'; readonly plans: ReadonlyArray<SetPlan>; readonly reason: string };

/**
 * P-NEEDS: what a request needs read before it can be planned. Taking a patch out needs neither a
 * repository nor the build ID (the patch is named; a repository, when there is one, names its
 * version); the others ask the repository for the running build.
 */
export function requestNeeds(request: UpdateRequest): {
  readonly repository: boolean;
  readonly buildId: boolean;
} {
  const needs = request.type !== 'unload';
  return { repository: needs, buildId: needs };
}

/**
 * Plans a request on a host, every replace set it touches, before anything runs (P-SEQUENCE): each
 * set's plan starts from the simulated state after the previous set's plan, so a refusal in any set
 * refuses the whole update before the first change. Pure: the shell reads the host and repository.
 */
export function planUpdate(input: UpdateInput): UpdatePlan {
  const needs = requestNeeds(input.request);
  if (needs.buildId && input.buildId === undefined) return { kind: 'input', missing: 'build-id' };
  if (needs.repository && input.index === undefined) return { kind: 'input', missing: 'repository' };
  const buildId = input.buildId ?? '';
  const observe = observer(input.index, input.buildId);
  let host = observe(input.view);
  const goals = goalsFor(input.request, host.state, input.index, buildId, input.time);
  if (goals.kind === 'bad-request') return goals;
  const plans: SetPlan[] = [];
  for (const { replaceSet, goal, applicability } of goals.goals) {
    const plan = refuseUnknown(host, goal) ?? assemblePlan(host.state, goal, input.compare);
    plans.push({ replaceSet, goal, plan, applicability, expected: host.state });
    if (isRefused(plan)) break;
    host = observe(viewAfter(input.view, plan));
  }
  return { kind: 'planned', plans, reason: goals.reason };
}

/**
 * The plan's view of a host as the repository knows its patches: what `planUpdate` plans from, and
 * what the shell compares with a set's `expected` state before the set runs.
 */
export function observeHost(
  view: HostLivepatchView,
  index: RepositoryIndex | undefined,
  buildId: string | undefined,
): HostStateResult {
  return observer(index, buildId)(view);
}

function observer(index: RepositoryIndex | undefined, buildId: string | undefined) {
  const known =
    index === undefined || buildId === undefined
      ? new Map<string, KnownPatch>()
      : knownPatches(index, buildId);
  const targets = new Set([...known.values()].flatMap((k) => k.manifest.objects.map((o) => o.name)));
  return (view: HostLivepatchView) => hostStateFromObserved(view, known, targets);
}

/**
 * P-UNKNOWN: on a kernel with only the boolean replace, a loaded patch the repository does not know
 * could belong to any replace set, and a cumulative replace=1 build would silently replace it, so an
 * apply is refused until it is taken out.
 */
function refuseUnknown(host: HostStateResult, goal: Goal): RefusedPlan | undefined {
  if (goal.type !== 'apply' || host.state.kind !== 'replace-bool' || host.unknown.length === 0)
    return undefined;
  const names = host.unknown.map((n) => `'${n}'`).join(', ');
  return {
    refused: true,
    reason: `${names} ${host.unknown.length > 1 ? 'are' : 'is'} loaded but not in the repository: klpm cannot tell which replace set it belongs to; take it out first (klpm unload ${host.unknown[0]})`,
    steps: [],
    predictedLog: [],
  };
}

/** What the host will show after `plan`: the simulator's sysfs tree, with the versions the plan loads. */
function viewAfter(before: HostLivepatchView, plan: Plan): HostLivepatchView {
  const versions = new Map(before.patches.map((p) => [p.name, p.version]));
  for (const step of plan.steps) if (step.op === 'load') versions.set(step.patch, step.version);
  const loaded = new Set(plan.predictedSysfs.map((p) => p.name));
  return {
    ...before,
    patches: plan.predictedSysfs.map((p) => ({
      name: p.name,
      enabled: p.enabled === 1,
      transition: p.transition === 1,
      replace: p.replace === undefined ? undefined : p.replace === 1,
      replaceSet: p.replace_set,
      provides: p.provides,
      obsoletes: p.obsoletes === undefined ? undefined : p.obsoletes.split(',').filter(Boolean).map(Number),
      stackOrder: p.stack_order,
      version: versions.get(p.name),
      objects: p.objects.map((o) => ({
        name: o.name,
        patched: o.patched === 1,
        funcs: o.funcs.map((f) => {
          const comma = f.lastIndexOf(',');
          return { name: f.slice(0, comma), sympos: Number(f.slice(comma + 1)) };
        }),
      })),
    })),
    modules: [
      ...before.modules.filter((m) => !versions.has(m) || loaded.has(m)),
      ...[...loaded].filter((m) => !before.modules.includes(m)),
    ],
  };
}

/**
 * P-SAME: whether the kernel shows the state a set's plan was made from: the same patches, in the
 * same order, enabled and in transition alike, at the same versions, and the same target modules.
 */
export function isSameHostState(a: HostLivepatchState, b: HostLivepatchState): boolean {
  const key = (s: HostLivepatchState) =>
    JSON.stringify([
      s.kind,
      s.patches.map((p) => [p.manifest.name, p.to, p.enabled, p.transition]),
      [...s.modules].sort(),
    ]);
  return key(a) === key(b);
}

/**
 * How an update ended, for the outcomes the plans decide (P-OUTCOME): `refused` when a set's plan
 * was, `reboot` when a set can only be fixed by a reboot, `nothing` when no set has a step to run,
 * else `dry-run` when nothing was to run for real, `done` when the steps ran. A resumed journal run
 * counts as done. `failed` comes from the executor, not from here.
 */
export function updateOutcome(
  planned: Extract<UpdatePlan, { kind: 'planned' }>,
  run: { readonly dryRun: boolean; readonly resumed: boolean },
): { readonly outcome: Exclude<UpdateOutcome, 'failed'>; readonly reason: string } {
  const refused = planned.plans.find((p) => isRefused(p.plan));
  if (refused && isRefused(refused.plan)) return { outcome: 'refused', reason: refused.plan.reason };
  const reboot = planned.plans.find((p) => !isRefused(p.plan) && p.plan.kind === 'reboot');
  if (reboot && !isRefused(reboot.plan)) return { outcome: 'reboot', reason: reboot.plan.notes.join('; ') };
  if (!planned.plans.some((p) => p.plan.steps.length > 0)) {
    if (run.resumed && !run.dryRun) return { outcome: 'done', reason: '' };
    // the reason speaks of the sets that had no goal at all; a set whose plan is empty needs no words
    return { outcome: 'nothing', reason: planned.plans.length === 0 ? planned.reason : '' };
  }
  return run.dryRun ? { outcome: 'dry-run', reason: '' } : { outcome: 'done', reason: '' };
}
