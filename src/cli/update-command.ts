import { join } from 'node:path';
import type { Command } from 'commander';
import {
  type ProgressEvent,
  readRepositoryFor,
  runUpdate,
  SysfsKernel,
  type UpdateReport,
} from '../host/index.js';
import { DEBUG_MARK, debugOnlyIndexes, isDebugOnlyLine } from '../klp/index.js';
import { isRefused, type PlanStep, requestNeeds, type SetPlan, type UpdateRequest } from '../plan/index.js';
import { type CliContext, ExitCode } from './context.js';
import { readTime } from './flags.js';
import { shown } from './shown.js';
import { UsageError } from './usage-error.js';

/** Flags `klpm apply`, `klpm rollback` and `klpm unload` share. */
export interface UpdateFlags {
  readonly root: string;
  readonly repo?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly json?: boolean;
  readonly force?: boolean;
  readonly transitionTimeout: string;
  readonly signalTimeout: string;
  readonly settleTimeout: string;
  readonly now?: string;
  readonly expiryWindow: string;
}

export function withUpdateFlags(command: Command, withRepo: boolean): Command {
  command.option('--root <dir>', 'the machine to change, as seen under this directory', '/');
  if (withRepo)
    command.option(
      '--repo <path>',
      'klpm index (.json), a directory holding index.json or repodata/, or updateinfo.xml (default <root>/var/lib/klpm/repo)',
    );
  return command
    .option('--dry-run', 'print the plan and the predicted kernel log; change nothing')
    .option('--yes', 'carry the plan out (required unless --dry-run)')
    .option('--json', 'print one JSON document at the end')
    .option(
      '--force',
      'force a stalled transition instead of reversing it (the replaced patch modules can then never be unloaded)',
    )
    .option('--transition-timeout <sec>', 'wait this long for a transition before the periodic signal', '60')
    .option('--signal-timeout <sec>', 'then wait this long past the signal before reversing', '30')
    .option('--settle-timeout <sec>', 'wait this long for a reversal, a sysfs directory to go, rmmod', '30')
    .option('--now <iso>', 'evaluate livepatch coverage expiry at this time (default: now)')
    .option('--expiry-window <days>', 'warn when coverage ends within this many days', '30');
}

function seconds(text: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`${flag} '${text}' is not a number of seconds`);
  return Math.round(Number(text) * 1000);
}

/** Parses the flags, runs the request on the machine under --root, prints, sets the exit code. */
export async function runUpdateCommand(
  ctx: CliContext,
  setExit: (code: number) => void,
  flags: UpdateFlags,
  request: UpdateRequest,
  command: string,
): Promise<void> {
  const dryRun = flags.dryRun === true;
  if (!dryRun && !flags.yes)
    throw new UsageError(
      `klpm ${command} changes the running kernel: pass --yes, or --dry-run to see the plan`,
    );
  if (!dryRun && ctx.uid !== undefined && ctx.uid !== 0)
    throw new UsageError(`klpm ${command} changes the running kernel and needs root (klpm status does not)`);
  const timeouts = {
    transitionTimeoutMs: seconds(flags.transitionTimeout, '--transition-timeout'),
    signalTimeoutMs: seconds(flags.signalTimeout, '--signal-timeout'),
    settleTimeoutMs: seconds(flags.settleTimeout, '--settle-timeout'),
  };
  const repository = await readRepositoryFor(flags.root, flags.repo, requestNeeds(request).repository);
  for (const warning of repository?.warnings ?? [])
    ctx.stderr(`klpm: ${repository?.source}: warning: ${warning}\n`);
  const say = (text: string) => {
    if (!flags.json) ctx.stdout(text);
  };
  // another klpm holding the lock (LockBusyError) is exit 5 by the table in cli/main.ts
  const result = await runUpdate(new SysfsKernel(flags.root), {
    root: flags.root,
    repository,
    request,
    dryRun,
    force: flags.force === true,
    ...timeouts,
    pollMs: 200,
    time: readTime(flags),
    now: () => new Date(),
    onPlan: (plan) => say(renderPlan(plan)),
    onResume: (runId, plan) =>
      say(`resuming plan ${runId} (${plan.kind}), which an interrupted klpm left unfinished\n`),
    onProgress: (event) => say(renderProgress(event)),
  });
  if (result.kind === 'input')
    throw new UsageError(
      result.missing === 'build-id'
        ? `cannot read the running kernel's build ID from ${join(flags.root, 'sys/kernel/notes')}: klpm cannot tell which livepatches apply`
        : `klpm ${command} needs a repository: pass --repo`,
    );
  if (result.kind === 'bad-request') throw new UsageError(result.reason);
  const { report } = result;
  const exitCode = {
    done: ExitCode.ok,
    nothing: ExitCode.ok,
    'dry-run': ExitCode.ok,
    refused: ExitCode.refused,
    failed: ExitCode.findings,
    reboot: ExitCode.reboot,
  }[report.outcome];
  if (flags.json) ctx.stdout(`${JSON.stringify(reportJson(report, exitCode), null, 2)}\n`);
  else ctx.stdout(renderOutcome(report));
  setExit(exitCode);
}

function reportJson(report: UpdateReport, exitCode: number) {
  return {
    kernel: report.kernel,
    resumed: report.resumed === null ? null : report.resumed.runId,
    pending: report.pending === null ? null : report.pending.runId,
    plans: report.plans.map((p) => ({
      replaceSet: p.replaceSet,
      goal: p.goal,
      ...(isRefused(p.plan)
        ? { refused: true, reason: p.plan.reason, steps: p.plan.steps, predictedLog: p.plan.predictedLog }
        : p.plan),
      debugOnly: debugOnlyIndexes(p.plan.predictedLog),
      ...(p.applicability === undefined ? {} : { applicability: p.applicability }),
    })),
    result: report.result,
    outcome: report.outcome,
    reason: report.reason,
    exitCode,
  };
}

function describeStep(step: PlanStep): string {
  switch (step.op) {
    case 'load':
      return `load ${shown(step.patch)}${step.version ? ` ${shown(step.version)}` : ''}${step.file ? ` from ${shown(step.file)}` : ''}`;
    case 'disable':
      return `disable ${shown(step.patch)}`;
    case 'wait-removed':
      return `wait until /sys/kernel/livepatch/${shown(step.patch)} is gone`;
    case 'unload':
      return `unload ${shown(step.patch)}`;
  }
}

function renderPlan(set: SetPlan): string {
  const { plan } = set;
  const head = isRefused(plan) ? 'refused' : plan.kind;
  const out = [`replace set ${set.replaceSet}: ${head}`];
  if (isRefused(plan)) out.push(`  ${plan.reason}`);
  plan.steps.forEach((step, i) => {
    out.push(`  ${i + 1}. ${describeStep(step)}`);
  });
  if (!isRefused(plan)) for (const note of plan.notes) out.push(`  note: ${note}`);
  if (plan.predictedLog.length > 0) {
    out.push('  predicted kernel log:');
    for (const line of plan.predictedLog) out.push(`    ${line}${isDebugOnlyLine(line) ? DEBUG_MARK : ''}`);
    if (plan.predictedLog.some(isDebugOnlyLine))
      out.push('  (debug): printed only with dynamic debug on; a stock dmesg lacks the line');
  }
  return `${out.join('\n')}\n`;
}

function renderProgress(event: ProgressEvent): string {
  switch (event.type) {
    case 'step':
      return `[${event.index + 1}] ${describeStep(event.step)}: ${event.phase}${event.detail ? ` (${event.detail})` : ''}\n`;
    case 'waiting':
      return `    waiting for ${event.what === 'transition' ? `the transition of ${shown(event.patch)}` : event.what === 'removal' ? `/sys/kernel/livepatch/${shown(event.patch)} to go` : `rmmod ${shown(event.patch)}`}\n`;
    case 'signal':
      return `    ${shown(event.patch)}: still in transition; waiting past the kernel's periodic signal to the remaining tasks\n`;
    case 'reverse':
      return `    ${shown(event.patch)}: transition stalled; reversing it (blocking: ${tasks(event.blocking)})\n`;
    case 'force':
      return `    ${shown(event.patch)}: transition stalled; FORCING it (blocking: ${tasks(event.blocking)}); the modules it replaces can never be unloaded\n`;
  }
}

/** A task that keeps a transition from finishing, with the top of its stack: the same in apply and status. */
export const blockingTaskLine = (task: { pid: number; comm: string; stack?: string | undefined }) =>
  `  ${task.comm} (pid ${task.pid})${task.stack ? `: ${task.stack.split('\n')[0]}` : ''}`;

const tasks = (list: ReadonlyArray<{ pid: number; comm: string }>) =>
  list.map((t) => `${t.comm} pid ${t.pid}`).join(', ') || 'none reported';

/** What the plans that ran did, in a few words: `klpm_e2e_v2 1.0-1.2 loaded, klpm_e2e_v1 unloaded`. */
function changes(report: UpdateReport): string {
  return report.plans
    .flatMap((p) => (isRefused(p.plan) ? [] : p.plan.steps))
    .flatMap((step) =>
      step.op === 'load'
        ? [`${shown(step.patch)}${step.version ? ` ${shown(step.version)}` : ''} loaded`]
        : step.op === 'unload'
          ? [`${shown(step.patch)} unloaded`]
          : [],
    )
    .join(', ');
}

const pendingNote = (report: UpdateReport) =>
  report.pending === null
    ? ''
    : `note: plan ${report.pending.runId} (${report.pending.kind}) never finished; --yes resumes it before anything else\n`;

function renderOutcome(report: UpdateReport): string {
  const kernel = `kernel ${shown(report.kernel.release ?? 'unknown')} (build ID ${report.kernel.buildId})`;
  const failed = report.result?.failed ?? report.resumed?.result.failed;
  switch (report.outcome) {
    case 'done':
      return `done: ${changes(report) || 'the interrupted plan was finished'} (${kernel})\n`;
    case 'nothing':
      return `${pendingNote(report)}nothing to do: ${kernel}${report.reason ? `: ${report.reason}` : ''}\n`;
    case 'dry-run':
      return `${pendingNote(report)}dry run: nothing was changed (${kernel}); run again with --yes to carry the plan out\n`;
    case 'refused':
      return `refused, nothing was changed: ${report.reason}\n`;
    case 'reboot':
      return `reboot needed: ${report.reason}\n`;
    case 'failed':
      return `failed: ${report.reason}\n${(failed?.blocking ?? []).map((t) => `${blockingTaskLine(t)}\n`).join('')}`;
  }
}
