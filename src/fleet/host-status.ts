import { answersFor, type HostLivepatchView, observeHost } from '../plan/index.js';
import type {
  Applicability,
  ApplicabilityStatus,
  EvaluationTime,
  RebootNeed,
  RepositoryIndex,
} from '../repo/index.js';
import { STATUS_ORDER, worstStatus } from '../repo/index.js';
import type { StatusDocument } from './report.js';

// the order of statuses is the repository's (klpm fleet check counts by it without the fleet's code)
export { STATUS_ORDER, worstStatus };

/** Reboot needs from most to least pressing. */
export const REBOOT_ORDER: ReadonlyArray<RebootNeed> = ['yes', 'yes-livepatch-covered', 'no'];

/** What the server keeps of a host's kernel after a report: its status, reboot need and horizon. */
export interface HostEvaluation {
  readonly status: ApplicabilityStatus;
  readonly reboot: RebootNeed;
  /** the earliest date a replace set's coverage ends, or null */
  readonly expires: string | null;
  readonly answers: ReadonlyArray<{ readonly replaceSet: number; readonly answer: Applicability }>;
}

const worst = <T>(order: ReadonlyArray<T>, values: ReadonlyArray<T>, none: T): T =>
  values.length === 0 ? none : order[Math.min(...values.map((v) => order.indexOf(v)))]!;

export function worstReboot(needs: ReadonlyArray<RebootNeed>): RebootNeed {
  return worst(REBOOT_ORDER, needs, 'no');
}

/** The plan's view of the host, rebuilt from the status document it reported. */
export function viewOfStatus(status: StatusDocument): HostLivepatchView {
  return {
    release: status.release,
    kind: status.kind,
    attributes: status.attributes,
    modules: status.modules,
    patches: status.patches.map((p) => ({
      name: p.name,
      enabled: p.enabled,
      transition: p.transition,
      replace: p.replace,
      replaceSet: p.replaceSet,
      provides: p.provides,
      obsoletes: p.obsoletes,
      stackOrder: p.stackOrder,
      version: p.version,
      objects: p.objects,
    })),
  };
}

/**
 * A host's kernel as `klpm check` answers for it, from the status it reported: per replace set the
 * repository publishes for its build, then the worst status and the most pressing reboot need.
 */
export function evaluateReport(
  status: StatusDocument,
  buildId: string | null,
  index: RepositoryIndex,
  time: EvaluationTime,
): HostEvaluation {
  if (buildId === null) return { status: 'unknown', reboot: 'no', expires: null, answers: [] };
  const id = buildId.toLowerCase();
  const { state } = observeHost(viewOfStatus(status), index, id);
  const answers = answersFor(state, index, id, time);
  const dates = answers.flatMap(({ answer }) => (answer.expires === null ? [] : [answer.expires])).sort();
  return {
    status: worstStatus(answers.map((a) => a.answer.status)),
    reboot: worstReboot(answers.map((a) => a.answer.reboot)),
    expires: dates[0] ?? null,
    answers,
  };
}

/**
 * Whether a host is stuck: its report shows a livepatch in transition (a transition that has not
 * completed) or tasks blocking one (kernel/livepatch/transition.c, klp_try_complete_transition).
 */
export function isStuck(status: Pick<StatusDocument, 'patches' | 'blocking'>): boolean {
  return status.blocking.length > 0 || status.patches.some((p) => p.transition);
}
