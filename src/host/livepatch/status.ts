import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostLivepatchView } from '../../plan/index.js';
import { answersFor, hostStateFromObserved, knownPatches } from '../../plan/index.js';
import {
  type Applicability,
  type EvaluationTime,
  indexRepository,
  type Repository,
} from '../../repo/index.js';
import { statePath } from '../paths.js';
import { problemOf, type ReadProblem } from '../read-problem.js';
import { readRunningBuildId } from './build-id.js';
import { type JournalRun, readUnfinishedRunAt } from './journal.js';
import type { BlockingTask } from './kernel-control.js';
import { disagreementText } from './patch-module.js';
import { SysfsControl } from './sysfs-control.js';
import { readLivepatchView } from './sysfs-view.js';

/** Everything `klpm status` reports about livepatches on one machine. */
export interface LivepatchStatus extends HostLivepatchView {
  /** GNU build ID of the running kernel (/sys/kernel/notes) */
  readonly buildId: string | undefined;
  /** whether a livepatch can be applied now, and why not */
  readonly livepatchable: { readonly ok: boolean; readonly reason: string };
  /** tasks holding back the transition in progress */
  readonly blocking: ReadonlyArray<BlockingTask>;
  /** a plan that never finished: klpm was killed while it ran (`klpm apply` resumes it) */
  readonly interrupted:
    | (Pick<JournalRun, 'id' | 'startedAt' | 'steps'> & { readonly kind: string })
    | undefined;
  /** the repository's answer for the running build, per replace set; undefined without a repository */
  readonly repository:
    | {
        readonly source: string;
        readonly answers: ReadonlyArray<{ replaceSet: number; answer: Applicability }>;
      }
    | undefined;
  /** whether the machine must reboot: the build is end of life, or an update makes a reboot mandatory */
  readonly reboot: boolean;
  /** what could not be read (the rest of the status stands) */
  readonly problems: ReadonlyArray<ReadProblem>;
}

export type { ReadProblem };

/**
 * The journal run a killed klpm left unfinished on the machine under `root`, if any; read without
 * write access. An unreadable journal is a problem to report, not a crash.
 */
export function readUnfinishedRun(root: string): { run: JournalRun | undefined; problem?: ReadProblem } {
  const path = statePath(root, 'journal');
  const read = readUnfinishedRunAt(path);
  return 'problem' in read ? { run: undefined, problem: { path, problem: read.problem } } : read;
}

/** Reads the livepatch status of the machine under `root`; needs no write access. */
export async function readLivepatchStatus(
  root: string,
  repository?: { repository: Repository; time: EvaluationTime },
): Promise<LivepatchStatus> {
  const problems: ReadProblem[] = [];
  const view = await readLivepatchView(root, problems);
  const buildId = await readRunningBuildId(root, 'kernel', problems);
  const blocking = view.patches.some((p) => p.transition) ? await blockingTasks(root, problems) : [];
  const { run, problem } = readUnfinishedRun(root);
  if (problem !== undefined) problems.push(problem);
  for (const d of repository?.repository.fileDisagreements ?? [])
    problems.push({ path: d.file, problem: disagreementText(d) });
  const interrupted: LivepatchStatus['interrupted'] = run && {
    id: run.id,
    startedAt: run.startedAt,
    steps: run.steps,
    kind: run.plan.kind,
  };
  let answers: NonNullable<LivepatchStatus['repository']>['answers'] = [];
  if (repository !== undefined && buildId !== undefined) {
    const index = indexRepository(repository.repository);
    const known = knownPatches(index, buildId);
    const { state } = hostStateFromObserved(view, known, new Set());
    answers = answersFor(state, index, buildId, repository.time);
  }
  const reboot = answers.some(({ answer }) => answer.reboot === 'yes' || answer.eol);
  return {
    ...view,
    buildId,
    livepatchable: livepatchable(root, view, answers),
    blocking,
    interrupted,
    repository: repository && { source: repository.repository.source, answers },
    reboot,
    problems,
  };
}

/** The tasks blocking a transition; a /proc or sysfs that cannot be read is a problem, not a crash. */
async function blockingTasks(root: string, problems: ReadProblem[]): Promise<BlockingTask[]> {
  try {
    return await new SysfsControl(root).blockingTasks();
  } catch (error) {
    problems.push(problemOf(error, join(root, 'proc')));
    return [];
  }
}

/**
 * /sys/kernel/livepatch exists from boot on a kernel built with CONFIG_LIVEPATCH (klp_init in
 * kernel/livepatch/core.c); a new patch waits while a transition runs (klp_enable_patch answers EBUSY).
 */
function livepatchable(
  root: string,
  view: HostLivepatchView,
  answers: ReadonlyArray<{ answer: Applicability }>,
): LivepatchStatus['livepatchable'] {
  const dir = join(root, 'sys/kernel/livepatch');
  const info = (() => {
    try {
      return statSync(dir);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'unreadable';
    }
  })();
  if (info === 'unreadable' || (info !== undefined && !info.isDirectory()))
    return {
      ok: false,
      reason: 'cannot tell: /sys/kernel/livepatch cannot be read (see the problems below)',
    };
  if (info === undefined)
    return {
      ok: false,
      reason: 'the kernel has no livepatch support (no /sys/kernel/livepatch: CONFIG_LIVEPATCH)',
    };
  const busy = view.patches.find((p) => p.transition);
  if (busy)
    return {
      ok: false,
      reason: `'${busy.name}' is in transition: a new patch waits until it completes or is reversed`,
    };
  const eol = answers.find(({ answer }) => answer.eol || answer.status === 'unsupported');
  if (eol) return { ok: false, reason: eol.answer.reason };
  return { ok: true, reason: 'livepatches can be applied' };
}

/**
 * The document `klpm status --json` prints, and the one `klpm agent` sends as a report's `status`:
 * the status with the interrupted run's steps as an object (a Map does not survive JSON).
 */
export function statusDocument(status: LivepatchStatus): Record<string, unknown> {
  return {
    ...status,
    interrupted: status.interrupted && {
      ...status.interrupted,
      steps: Object.fromEntries(status.interrupted.steps),
    },
  };
}
