import type { Plan, PlanStep } from '../../plan/index.js';
import type { Journal, JournalRun } from './journal.js';
import { type BlockingTask, type KernelControl, KernelOpError } from './kernel-control.js';

/** How long to wait at each stage of a transition, and whether forcing is allowed. */
export interface ExecuteOptions {
  /** wait for a transition to complete before signalling the remaining tasks */
  readonly transitionTimeoutMs: number;
  /** wait after the signal before reversing (or forcing) */
  readonly signalTimeoutMs: number;
  /** wait for a reversed transition, for a patch directory to go, for rmmod to stop answering EAGAIN */
  readonly settleTimeoutMs: number;
  readonly pollMs: number;
  /** force a stalled transition instead of reversing it: the replaced or removed modules can then never be unloaded */
  readonly force: boolean;
  /** refuses a load whose file is not what the repository promised (sha256, vermagic); throws to refuse */
  readonly verifyBeforeLoad: (step: Extract<PlanStep, { op: 'load' }>) => Promise<void>;
  readonly now: () => Date;
  readonly onProgress: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | {
      readonly type: 'step';
      readonly index: number;
      readonly step: PlanStep;
      readonly phase: 'started' | 'done' | 'skipped';
      readonly detail: string;
    }
  | { readonly type: 'waiting'; readonly patch: string; readonly what: 'transition' | 'removal' | 'rmmod' }
  | { readonly type: 'signal'; readonly patch: string }
  | { readonly type: 'reverse'; readonly patch: string; readonly blocking: ReadonlyArray<BlockingTask> }
  | { readonly type: 'force'; readonly patch: string; readonly blocking: ReadonlyArray<BlockingTask> };

export interface ExecutionResult {
  readonly runId: number;
  readonly ok: boolean;
  readonly failed?: {
    readonly index: number;
    readonly step: PlanStep;
    readonly reason: string;
    readonly blocking: ReadonlyArray<BlockingTask>;
  };
}

/** A step that could not be carried out; the host is left as the reason says. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    message: string,
    readonly blocking: ReadonlyArray<BlockingTask> = [],
  ) {
    super(message);
  }
}

/**
 * Runs a plan on the host, journaling each step before and after it runs. With `resume`, steps the
 * journal shows done are skipped and every other step first checks whether it already happened, so
 * a plan interrupted at any point ends where an uninterrupted run would.
 */
export async function executePlan(
  plan: Plan,
  control: KernelControl,
  journal: Journal,
  options: ExecuteOptions,
  resume?: JournalRun,
): Promise<ExecutionResult> {
  const runId = resume?.id ?? journal.startRun(plan, options.now());
  for (const [index, step] of plan.steps.entries()) {
    const before = resume?.steps.get(index);
    if (before === 'done' || before === 'skipped') continue;
    journal.recordStep(runId, index, step, 'started', '', options.now());
    options.onProgress({ type: 'step', index, step, phase: 'started', detail: '' });
    try {
      const skipped = await runStep(step, control, options);
      const phase = skipped === undefined ? 'done' : 'skipped';
      journal.recordStep(runId, index, step, phase, skipped ?? '', options.now());
      options.onProgress({ type: 'step', index, step, phase, detail: skipped ?? '' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      journal.recordStep(runId, index, step, 'failed', reason, options.now());
      journal.finishRun(runId, 'failed', options.now());
      const blocking = error instanceof StepError ? error.blocking : [];
      return { runId, ok: false, failed: { index, step, reason, blocking } };
    }
  }
  journal.finishRun(runId, 'done', options.now());
  return { runId, ok: true };
}

/** Carries out one step; returns why it was skipped (it had already happened), or undefined. */
async function runStep(
  step: PlanStep,
  control: KernelControl,
  options: ExecuteOptions,
): Promise<string | undefined> {
  const listed = async () => (await control.listPatches()).find((p) => p.name === step.patch);
  switch (step.op) {
    case 'load': {
      const status = await listed();
      if (status?.enabled) {
        if (status.transition) await settleTransition(step.patch, true, control, options);
        return `patch '${step.patch}' is loaded and enabled already`;
      }
      if (await control.isModuleLoaded(step.patch)) {
        throw new StepError(
          `module '${step.patch}' is loaded but its patch is disabled: unload it first (klpm unload ${step.patch})`,
        );
      }
      if (!step.file) throw new StepError(`the repository gives no file for patch '${step.patch}'`);
      await options.verifyBeforeLoad(step);
      await kernelOp(() => control.insmod(step.file!), `could not load '${step.file}'`);
      await settleTransition(step.patch, true, control, options);
      return undefined;
    }
    case 'disable': {
      const status = await listed();
      if (!status) return `patch '${step.patch}' is not listed`;
      if (status.enabled)
        await kernelOp(() => control.writeEnabled(step.patch, false), `could not disable '${step.patch}'`);
      await settleTransition(step.patch, false, control, options);
      return undefined;
    }
    case 'wait-removed': {
      options.onProgress({ type: 'waiting', patch: step.patch, what: 'removal' });
      const gone = await waitFor(
        async () => (await listed()) === undefined,
        options.settleTimeoutMs,
        control,
        options,
      );
      if (!gone)
        throw new StepError(
          `/sys/kernel/livepatch/${step.patch} is still there after ${options.settleTimeoutMs} ms`,
        );
      return undefined;
    }
    case 'unload': {
      if (!(await control.isModuleLoaded(step.patch))) return `module '${step.patch}' is not loaded`;
      // The patch frees its module reference asynchronously: rmmod answers EAGAIN until it has.
      for (let waited = 0; ; waited += options.pollMs) {
        try {
          await control.rmmod(step.patch);
          return undefined;
        } catch (error) {
          if (
            !(error instanceof KernelOpError) ||
            error.errno !== 'EAGAIN' ||
            waited >= options.settleTimeoutMs
          ) {
            const why =
              error instanceof KernelOpError ? `${error.errno} ${error.message}` : (error as Error).message;
            throw new StepError(
              `could not unload '${step.patch}': ${why} (a forced patch's module stays for good)`,
            );
          }
          options.onProgress({ type: 'waiting', patch: step.patch, what: 'rmmod' });
          await control.sleep(options.pollMs);
        }
      }
    }
  }
}

async function kernelOp(op: () => Promise<void>, what: string): Promise<void> {
  try {
    await op();
  } catch (error) {
    if (error instanceof KernelOpError) throw new StepError(`${what}: ${error.errno} ${error.message}`);
    throw error;
  }
}

async function waitFor(
  done: () => Promise<boolean>,
  timeoutMs: number,
  control: KernelControl,
  options: ExecuteOptions,
): Promise<boolean> {
  for (let waited = 0; ; waited += options.pollMs) {
    if (await done()) return true;
    if (waited >= timeoutMs) return false;
    await control.sleep(options.pollMs);
  }
}

/**
 * Waits for the patch's transition to end: bounded wait, then a signal to the remaining tasks, then
 * either force (only when asked) or reversal, which puts the host back where it was and names the
 * tasks that blocked. A reversed load also unloads the module it loaded.
 */
async function settleTransition(
  patch: string,
  forwards: boolean,
  control: KernelControl,
  options: ExecuteOptions,
): Promise<void> {
  const settled = async () => !(await control.listPatches()).find((p) => p.name === patch)?.transition;
  options.onProgress({ type: 'waiting', patch, what: 'transition' });
  if (await waitFor(settled, options.transitionTimeoutMs, control, options)) return;
  options.onProgress({ type: 'signal', patch });
  await kernelOp(() => control.writeSignal(patch), `could not signal the tasks blocking '${patch}'`);
  if (await waitFor(settled, options.signalTimeoutMs, control, options)) return;
  const blocking = await control.blockingTasks();
  if (options.force) {
    options.onProgress({ type: 'force', patch, blocking });
    await kernelOp(() => control.writeForce(patch), `could not force '${patch}'`);
    if (await waitFor(settled, options.settleTimeoutMs, control, options)) return;
    throw new StepError(`the forced transition of '${patch}' did not complete`, blocking);
  }
  options.onProgress({ type: 'reverse', patch, blocking });
  await kernelOp(
    () => control.writeEnabled(patch, !forwards),
    `could not reverse the transition of '${patch}'`,
  );
  const names = blocking.map((t) => `${t.comm}:${t.pid}`).join(', ') || 'none reported';
  if (!(await waitFor(settled, options.settleTimeoutMs, control, options))) {
    throw new StepError(
      `the transition of '${patch}' stalled and its reversal did not complete either; blocking tasks: ${names}`,
      blocking,
    );
  }
  if (forwards) {
    // The reversed load left a disabled patch's module behind: take it out so the host is as before.
    await waitFor(
      async () => !(await control.listPatches()).some((p) => p.name === patch),
      options.settleTimeoutMs,
      control,
      options,
    );
    await control.rmmod(patch).catch(() => undefined);
  }
  throw new StepError(
    `the transition of '${patch}' stalled and was reversed: the ${forwards ? 'patch is not applied' : 'patch stays enabled'}; blocking tasks: ${names}`,
    blocking,
  );
}
