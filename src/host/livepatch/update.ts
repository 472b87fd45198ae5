import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type HostLivepatchView,
  isRefused,
  isSameHostState,
  observeHost,
  type Plan,
  planUpdate,
  type SetPlan,
  type UpdateOutcome,
  type UpdateRequest,
  updateOutcome,
} from '../../plan/index.js';
import { type EvaluationTime, indexRepository, type Repository } from '../../repo/index.js';
import { rpmvercmp } from '../../version/index.js';
import { acquireLock } from '../lock.js';
import { statePath } from '../paths.js';
import { placeProblems } from '../place-check.js';
import { refuseOnProblems } from '../read-problem.js';
import { type ExecuteOptions, type ExecutionResult, executePlan } from './execute.js';
import { type Journal, openJournal } from './journal.js';
import type { LiveKernel } from './live-kernel.js';
import { PatchFileError, verifyPatchFile } from './patch-file.js';
import { disagreementText } from './patch-module.js';
import { readUnfinishedRun } from './status.js';

export interface UpdateReport {
  /** the build ID is null where it could not be read (an unload needs none) */
  readonly kernel: { readonly release: string | undefined; readonly buildId: string | null };
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

/**
 * What an update came to: a report, or the input it could not be planned without (the build ID,
 * the repository), or a request the repository cannot answer (a version it does not offer).
 */
export type UpdateResult =
  | { readonly kind: 'report'; readonly report: UpdateReport }
  | { readonly kind: 'input'; readonly missing: 'build-id' | 'repository' }
  | { readonly kind: 'bad-request'; readonly reason: string };

export interface UpdateOptions
  extends Pick<
    ExecuteOptions,
    'transitionTimeoutMs' | 'signalTimeoutMs' | 'settleTimeoutMs' | 'pollMs' | 'force' | 'onProgress'
  > {
  /** the machine's root: the journal and lock live under <root>/var/lib/klpm */
  readonly root: string;
  /** undefined: there is none (an unload can do without, P-NEEDS) */
  readonly repository: Repository | undefined;
  readonly request: UpdateRequest;
  readonly dryRun: boolean;
  readonly time: EvaluationTime;
  readonly now: () => Date;
  /** called with each plan before it runs, so the operator sees it first */
  readonly onPlan: (plan: SetPlan) => void;
  /** called before a journal run left unfinished is resumed */
  readonly onResume: (runId: number, plan: Plan) => void;
}

/**
 * Carries a request (apply the newest livepatch, roll back, unload one) out on a running kernel:
 * resumes a plan a killed klpm left unfinished, reads the kernel, asks the repository, plans each
 * replace set the request touches (checked on the simulator), verifies every file it will load,
 * then runs the plan through the journal. One klpm at a time (the lock); a dry run takes no lock
 * and changes nothing.
 */
export async function runUpdate(kernel: LiveKernel, options: UpdateOptions): Promise<UpdateResult> {
  // what the change needs must be readable before it touches anything: klpm's places, the journal,
  // the kernel. A dry run refuses alike: it says what the real run would do, and that run would refuse.
  const problems = placeProblems(options.root, ['lock', 'journal']);
  const { problem } = problems.length > 0 ? { problem: undefined } : readUnfinishedRun(options.root);
  refuseOnProblems(problem === undefined ? problems : [problem], 'status');
  if (options.dryRun) {
    const result = await update(kernel, options, undefined);
    if (result.kind !== 'report') return result;
    // read again: the note is about the journal as it stands when the plan is shown
    const { run } = readUnfinishedRun(options.root);
    return {
      kind: 'report',
      report: {
        ...result.report,
        pending: run === undefined ? null : { runId: run.id, kind: run.plan.kind },
      },
    };
  }
  await kernel.readView();
  mkdirSync(dirname(statePath(options.root, 'lock')), { recursive: true });
  const lock = acquireLock(statePath(options.root, 'lock'));
  const journal = openJournal(statePath(options.root, 'journal'));
  try {
    return await update(kernel, options, journal);
  } finally {
    journal.close();
    lock.release();
  }
}

/** How often the sets are planned again when the kernel changed under klpm between two sets. */
const REPLANS = 3;

async function update(
  kernel: LiveKernel,
  options: UpdateOptions,
  journal: Journal | undefined,
): Promise<UpdateResult> {
  const view0 = await kernel.readView();
  const buildId = await kernel.readBuildId();
  const index = options.repository === undefined ? undefined : indexRepository(options.repository);
  const repositoryDir = options.repository?.directory;
  const plan = (view: HostLivepatchView) =>
    planUpdate({ request: options.request, view, index, buildId, time: options.time, compare: rpmvercmp });
  const kernelFacts = { release: view0.release, buildId: buildId ?? null };
  const report = (
    rest: Pick<UpdateReport, 'plans' | 'result' | 'outcome' | 'reason'>,
    resumed: UpdateReport['resumed'] = null,
  ): UpdateResult => ({ kind: 'report', report: { kernel: kernelFacts, resumed, pending: null, ...rest } });

  // the file is what the kernel runs: a plan from a manifest that says otherwise predicts the wrong thing
  const disagreeing = (options.repository?.fileDisagreements ?? []).filter((d) => d.baseBuildId === buildId);
  if (disagreeing.length > 0)
    return report({
      plans: [],
      result: null,
      outcome: 'refused',
      reason: disagreeing.map(disagreementText).join('\n'),
    });

  let planned = plan(view0);
  if (planned.kind !== 'planned') return planned;
  const execute = (p: Plan, resume?: Parameters<typeof executePlan>[4]) =>
    executePlan(
      p,
      kernel,
      journal!,
      { ...options, verifyBeforeLoad: (step) => verifyPatchFile(step, view0.release, repositoryDir) },
      resume,
    );

  let resumed: UpdateReport['resumed'] = null;
  const unfinished = journal?.findUnfinishedRun();
  if (unfinished !== undefined) {
    options.onResume(unfinished.id, unfinished.plan);
    const result = await execute(unfinished.plan, unfinished);
    resumed = { runId: unfinished.id, result };
    if (!result.ok)
      return report(
        { plans: [], result, outcome: 'failed', reason: result.failed?.reason ?? 'the resumed plan failed' },
        resumed,
      );
    // the resumed plan changed the kernel: plan from what it shows now
    planned = plan(await kernel.readView());
    if (planned.kind !== 'planned') return planned;
  }

  let result: ExecutionResult | null = null;
  for (let attempt = 0; ; attempt++) {
    for (const setPlan of planned.plans) options.onPlan(setPlan);
    const decided = updateOutcome(planned, { dryRun: journal === undefined, resumed: resumed !== null });
    if (decided.outcome === 'refused') return report({ plans: planned.plans, result, ...decided }, resumed);
    // Every file is checked before the first change, so a bad file never leaves a plan half done.
    const refusal = await verifyFiles(planned.plans, view0.release, repositoryDir);
    if (refusal !== undefined)
      return report({ plans: planned.plans, result, outcome: 'refused', reason: refusal }, resumed);
    if (journal === undefined) return report({ plans: planned.plans, result: null, ...decided }, resumed);
    const ran = await runSets(planned.plans);
    if (ran.kind === 'failed')
      return report(
        { plans: planned.plans, result: ran.result, outcome: 'failed', reason: ran.reason },
        resumed,
      );
    result = ran.result ?? result;
    if (ran.kind === 'done') return report({ plans: planned.plans, result, ...decided }, resumed);
    // the kernel no longer shows what the next set was planned from (P-SAME): plan the rest again
    if (attempt === REPLANS)
      return report(
        {
          plans: planned.plans,
          result,
          outcome: 'failed',
          reason:
            'the kernel kept changing under klpm between two replace sets; run klpm status and try again',
        },
        resumed,
      );
    planned = plan(await kernel.readView());
    if (planned.kind !== 'planned') return planned;
  }

  async function runSets(
    plans: ReadonlyArray<SetPlan>,
  ): Promise<
    | { kind: 'done'; result: ExecutionResult | null }
    | { kind: 'changed'; result: ExecutionResult | null }
    | { kind: 'failed'; result: ExecutionResult; reason: string }
  > {
    let last: ExecutionResult | null = null;
    for (const setPlan of plans) {
      const p = setPlan.plan;
      if (isRefused(p) || p.steps.length === 0) continue;
      const now = observeHost(await kernel.readView(), index, buildId).state;
      if (!isSameHostState(now, setPlan.expected)) return { kind: 'changed', result: last };
      last = await execute(p);
      if (!last.ok) return { kind: 'failed', result: last, reason: last.failed?.reason ?? 'a step failed' };
    }
    return { kind: 'done', result: last };
  }
}

/** The first load of any set whose file fails its checks, as the refusal's reason. */
async function verifyFiles(
  plans: ReadonlyArray<SetPlan>,
  release: string | undefined,
  directory: string | undefined,
): Promise<string | undefined> {
  for (const { plan } of plans)
    for (const step of plan.steps) {
      if (step.op !== 'load') continue;
      try {
        await verifyPatchFile(step, release, directory);
      } catch (error) {
        if (error instanceof PatchFileError) return error.message;
        throw error;
      }
    }
  return undefined;
}
