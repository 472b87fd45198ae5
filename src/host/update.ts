import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  assemblePlan,
  type Goal,
  goalsFor,
  hostStateFromObserved,
  isRefused,
  knownPatches,
  type Plan,
  type RefusedPlan,
  type UpdateRequest,
} from '../plan/index.js';
import {
  type Applicability,
  type EvaluationTime,
  indexRepository,
  type Repository,
  rpmvercmp,
} from '../repo/index.js';
import {
  acquireLock,
  type ExecuteOptions,
  type ExecutionResult,
  executePlan,
  type Journal,
  openJournal,
} from './apply/index.js';
import type { LiveKernel } from './live-kernel.js';
import { PatchFileRefused, verifyPatchFile } from './patch-file.js';
import { journalPath, readUnfinishedRun } from './status.js';

/** One replace set's goal and the plan for it (refused plans say why). */
export interface SetPlan {
  readonly replaceSet: number;
  readonly goal: Goal;
  readonly plan: Plan | RefusedPlan;
  readonly applicability?: Applicability | undefined;
}

/**
 * How an update ended. `refused`: nothing was changed (the simulator or a rule refused the plan, or a
 * file failed verification); `failed`: a step failed and the host is as the reason says; `reboot`:
 * no livepatch applies to the running build.
 */
export type UpdateOutcome = 'done' | 'nothing' | 'dry-run' | 'refused' | 'failed' | 'reboot';

export interface UpdateReport {
  readonly kernel: { readonly release: string | undefined; readonly buildId: string };
  /** the journal run an earlier, killed klpm left unfinished and this one carried on */
  readonly resumed: { readonly runId: number; readonly result: ExecutionResult } | null;
  /** a dry run's note: the unfinished journal run a real run would resume before anything else */
  readonly pending: { readonly runId: number; readonly kind: string } | null;
  readonly plans: ReadonlyArray<SetPlan>;
  /** the last plan run; null when nothing ran */
  readonly result: ExecutionResult | null;
  readonly outcome: UpdateOutcome;
  readonly reason: string;
}

export interface UpdateOptions
  extends Pick<
    ExecuteOptions,
    'transitionTimeoutMs' | 'signalTimeoutMs' | 'settleTimeoutMs' | 'pollMs' | 'force' | 'onProgress'
  > {
  /** the machine's root: the journal and lock live under <root>/var/lib/klpm */
  readonly root: string;
  readonly repository: Repository;
  readonly request: UpdateRequest;
  readonly dryRun: boolean;
  readonly time: EvaluationTime;
  readonly now: () => Date;
  /** called with each plan before it runs, so the operator sees it first */
  readonly onPlan: (plan: SetPlan) => void;
  /** called before a journal run left unfinished is resumed */
  readonly onResume: (runId: number, plan: Plan) => void;
}

/** The running kernel's build ID cannot be read, so the repository cannot be asked. */
export class BuildIdUnknown extends Error {
  override readonly name = 'BuildIdUnknown';
}

export function lockPath(root: string): string {
  return join(root, 'var/lib/klpm/klpm.lock');
}

/**
 * Carries a request (apply the newest livepatch, roll back, unload one) out on a running kernel:
 * resumes a plan a killed klpm left unfinished, reads the kernel, asks the repository, plans each
 * replace set the request touches (checked on the simulator), verifies every file it will load,
 * then runs the plan through the journal. One klpm at a time (the lock); a dry run takes no lock
 * and changes nothing.
 */
export async function runUpdate(kernel: LiveKernel, options: UpdateOptions): Promise<UpdateReport> {
  if (options.dryRun) {
    const report = await update(kernel, options, undefined);
    const run = readUnfinishedRun(options.root);
    return { ...report, pending: run === undefined ? null : { runId: run.id, kind: run.plan.kind } };
  }
  mkdirSync(dirname(lockPath(options.root)), { recursive: true });
  const lock = acquireLock(lockPath(options.root));
  const journal = openJournal(journalPath(options.root));
  try {
    return await update(kernel, options, journal);
  } finally {
    journal.close();
    lock.release();
  }
}

async function update(
  kernel: LiveKernel,
  options: UpdateOptions,
  journal: Journal | undefined,
): Promise<UpdateReport> {
  const view0 = await kernel.readView();
  const execute = (plan: Plan, resume?: Parameters<typeof executePlan>[4]) =>
    executePlan(
      plan,
      kernel,
      journal!,
      {
        ...options,
        now: options.now,
        verifyBeforeLoad: (step) => verifyPatchFile(step, view0.release),
      },
      resume,
    );

  let resumed: UpdateReport['resumed'] = null;
  const unfinished = journal?.findUnfinishedRun();
  // Unloading needs no repository answer, so it works where the build ID cannot be read.
  const buildId = (await kernel.readBuildId()) ?? (options.request.type === 'unload' ? '' : undefined);
  if (buildId === undefined)
    throw new BuildIdUnknown(
      `cannot read the running kernel's build ID from ${join(options.root, 'sys/kernel/notes')}: klpm cannot tell which livepatches apply`,
    );
  const kernelFacts = { release: view0.release, buildId };
  if (unfinished !== undefined) {
    options.onResume(unfinished.id, unfinished.plan);
    const result = await execute(unfinished.plan, unfinished);
    resumed = { runId: unfinished.id, result };
    if (!result.ok)
      return report(
        kernelFacts,
        resumed,
        [],
        result,
        'failed',
        result.failed?.reason ?? 'the resumed plan failed',
      );
  }

  const index = indexRepository(options.repository);
  const known = knownPatches(index, buildId);
  const targets = new Set([...known.values()].flatMap((k) => k.manifest.objects.map((o) => o.name)));
  const observe = async () => hostStateFromObserved(await kernel.readView(), known, targets);
  // the view read first is still current unless a resumed plan changed the kernel since
  let host = resumed === null ? hostStateFromObserved(view0, known, targets) : await observe();
  const { goals, reason } = goalsFor(options.request, host.state, index, buildId, options.time);
  if (goals.length === 0)
    return report(kernelFacts, resumed, [], null, resumed === null ? 'nothing' : 'done', reason);

  const plans: SetPlan[] = [];
  let result: ExecutionResult | null = null;
  let rebootReason: string | undefined;
  for (const { replaceSet, goal, applicability } of goals) {
    const plan = planFor(host, goal);
    const setPlan: SetPlan = { replaceSet, goal, plan, applicability };
    plans.push(setPlan);
    options.onPlan(setPlan);
    if (isRefused(plan)) return report(kernelFacts, resumed, plans, result, 'refused', plan.reason);
    if (plan.kind === 'reboot') {
      rebootReason ??= plan.notes.join('; ');
      continue;
    }
    if (plan.kind === 'nothing') continue;
    // Every file is checked before the first change, so a bad file never leaves a plan half done.
    try {
      for (const step of plan.steps) if (step.op === 'load') await verifyPatchFile(step, view0.release);
    } catch (error) {
      if (error instanceof PatchFileRefused)
        return report(kernelFacts, resumed, plans, result, 'refused', error.message);
      throw error;
    }
    if (journal === undefined) continue;
    result = await execute(plan);
    if (!result.ok)
      return report(kernelFacts, resumed, plans, result, 'failed', result.failed?.reason ?? 'a step failed');
    host = await observe();
  }
  if (rebootReason !== undefined) return report(kernelFacts, resumed, plans, result, 'reboot', rebootReason);
  const ran = plans.some((p) => !isRefused(p.plan) && p.plan.steps.length > 0);
  if (journal === undefined)
    return report(kernelFacts, resumed, plans, null, ran ? 'dry-run' : 'nothing', '');
  return report(kernelFacts, resumed, plans, result, ran || resumed !== null ? 'done' : 'nothing', '');

  function planFor(state: typeof host, goal: Goal): Plan | RefusedPlan {
    // On a kernel with only the boolean replace, a patch klpm does not know could belong to any set:
    // a cumulative replace=1 build would silently replace it.
    if (goal.type === 'apply' && state.state.kind === 'replace-bool' && state.unknown.length > 0)
      return {
        refused: true,
        reason: `${state.unknown.map((n) => `'${n}'`).join(', ')} ${state.unknown.length > 1 ? 'are' : 'is'} loaded but not in the repository: klpm cannot tell which replace set it belongs to; take it out first (klpm unload ${state.unknown[0]})`,
        steps: [],
        predictedLog: [],
      };
    return assemblePlan(state.state, goal, rpmvercmp);
  }
}

function report(
  kernel: UpdateReport['kernel'],
  resumed: UpdateReport['resumed'],
  plans: SetPlan[],
  result: ExecutionResult | null,
  outcome: UpdateOutcome,
  reason: string,
): UpdateReport {
  return { kernel, resumed, pending: null, plans, result, outcome, reason };
}
