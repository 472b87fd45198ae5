import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  comparedLog,
  type FleetPlan,
  fleetPlanOf,
  type HostEventBody,
  type OfferedRepository,
  publicStep,
  withFetchedFiles,
} from '../fleet/index.js';
import { type LiveKernel, runUpdate, statePath } from '../host/index.js';
import { InputError } from '../input/index.js';
import { planUpdate, type SetPlan, type UpdateRequest } from '../plan/index.js';
import {
  type EvaluationTime,
  indexRepository,
  parseRepositoryIndex,
  type Repository,
} from '../repo/index.js';
import { rpmvercmp } from '../version/index.js';
import { readKmsgAfter, writeKmsgMarker } from './kmsg.js';

export interface ApplyOptions {
  readonly root: string;
  readonly kernel: LiveKernel;
  readonly time: EvaluationTime;
  /** the bytes the server serves for a sha256 (`GET /v1/files/{sha256}`) */
  readonly fetchFile: (sha256: string) => Promise<Buffer>;
  /** the executor's waits; the defaults are `klpm apply`'s */
  readonly transitionTimeoutMs?: number;
  readonly signalTimeoutMs?: number;
  readonly settleTimeoutMs?: number;
  readonly pollMs?: number;
}

/** Thrown from `onPlan` when the executor is about to run a plan other than the one checked. */
class PlanChangedError extends Error {}

const refused = (planHash: string, reason: string, predictedLog: string[] = []): HostEventBody => ({
  kind: 'apply',
  planHash,
  outcome: 'refused',
  step: null,
  reason,
  blocking: [],
  log: [],
  predictedLog,
});

/**
 * Carries out the server's plan with `--apply auto`, or refuses it: plans again from the kernel's
 * own view and the offered livepatches (src/plan `planUpdate`, as the server does) and refuses
 * when its planHash differs; fetches each file and checks its sha256 before anything is loaded;
 * then applies through `runUpdate` (the executor and journal of `klpm apply`), capturing the kernel
 * log from a marker written before the first change. Undefined when the plan has nothing to do.
 */
export async function applyPlan(plan: FleetPlan, options: ApplyOptions): Promise<HostEventBody | undefined> {
  if (plan.outcome !== 'planned' || plan.steps.length === 0) return undefined;
  const predicted = comparedLog(plan.sets.flatMap((s) => s.predictedLog));
  let offered: Repository;
  try {
    offered = parseRepositoryIndex(JSON.stringify(plan.offered), 'the fleet server');
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return refused(plan.planHash, `the plan's offered livepatches do not read: ${error.message}`, predicted);
  }
  const { kernel } = options;
  // a rollout's rollback names its request; every other plan is an apply
  const request: UpdateRequest = (plan as { request?: UpdateRequest }).request ?? { type: 'apply' };
  const local = fleetPlanOf(
    planUpdate({
      request,
      view: await kernel.readView(),
      index: indexRepository(offered),
      buildId: await kernel.readBuildId(),
      time: options.time,
      compare: rpmvercmp,
    }),
    plan.offered as OfferedRepository,
  );
  if (local.planHash !== plan.planHash)
    return refused(
      plan.planHash,
      `the server's plan ${plan.planHash} is not the plan this host makes of its own view and the offered livepatches (${local.planHash}): nothing applied`,
      predicted,
    );

  const files = new Map<string, string>();
  for (const step of local.steps) {
    if (step.op !== 'load') continue;
    if (step.sha256 === undefined)
      return refused(
        plan.planHash,
        `the repository lists no sha256 for '${step.patch}': nothing can be verified`,
      );
    const path = join(dirname(statePath(options.root, 'agent')), 'files', `${step.sha256}.ko`);
    let bytes: Buffer;
    try {
      bytes = await options.fetchFile(step.sha256);
    } catch (error) {
      return refused(plan.planHash, `cannot fetch '${step.patch}': ${(error as Error).message}`, predicted);
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== step.sha256)
      return refused(
        plan.planHash,
        `the file served for '${step.patch}' has sha256 ${actual}, the plan promises ${step.sha256}: nothing loaded`,
        predicted,
      );
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(`${path}.tmp`, bytes, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
    files.set(step.sha256, path);
  }

  const expected = new Map(local.sets.map((s) => [s.replaceSet, JSON.stringify(s.steps)]));
  const guard = (setPlan: SetPlan) => {
    if (JSON.stringify(setPlan.plan.steps.map(publicStep)) !== (expected.get(setPlan.replaceSet) ?? '[]'))
      throw new PlanChangedError(
        `the kernel changed before replace set ${setPlan.replaceSet} ran: its plan is no longer the one checked; nothing more applied`,
      );
  };
  const marker = `klpm-agent: apply ${plan.planHash} ${randomUUID()}`;
  const marked = writeKmsgMarker(options.root, marker);
  let result: Awaited<ReturnType<typeof runUpdate>>;
  try {
    result = await runUpdate(kernel, {
      root: options.root,
      repository: withFetchedFiles(offered, files),
      request,
      dryRun: false,
      force: false,
      transitionTimeoutMs: options.transitionTimeoutMs ?? 15_000,
      signalTimeoutMs: options.signalTimeoutMs ?? 15_000,
      settleTimeoutMs: options.settleTimeoutMs ?? 15_000,
      pollMs: options.pollMs ?? 200,
      time: options.time,
      now: () => new Date(options.time.now),
      onPlan: guard,
      onResume: () => {},
      onProgress: () => {},
    });
  } catch (error) {
    if (!(error instanceof PlanChangedError)) throw error;
    return {
      ...refused(plan.planHash, error.message, predicted),
      log: logAfter(marked, options.root, marker),
    };
  } finally {
    for (const path of files.values()) await rm(path, { force: true });
  }
  if (result.kind !== 'report')
    return refused(
      plan.planHash,
      result.kind === 'bad-request' ? result.reason : `the host lacks its ${result.missing}`,
      predicted,
    );
  const { report } = result;
  const failed = report.result?.failed;
  const outcome: HostEventBody['outcome'] =
    report.outcome === 'done' || report.outcome === 'nothing'
      ? 'ok'
      : report.outcome === 'failed'
        ? failed !== undefined && / was reversed/.test(failed.reason)
          ? 'reversed'
          : 'failed'
        : 'refused';
  return {
    kind: 'apply',
    planHash: plan.planHash,
    outcome,
    step: failed === undefined ? null : { index: failed.index, op: failed.step.op, patch: failed.step.patch },
    reason: report.reason,
    blocking: (failed?.blocking ?? []).map((t) => ({ pid: t.pid, comm: t.comm })),
    log: logAfter(marked, options.root, marker),
    predictedLog: predicted,
  };
}

function logAfter(marked: boolean, root: string, marker: string): string[] {
  return marked ? comparedLog(readKmsgAfter(root, marker)).slice(0, 10_000) : [];
}
