import { createHash } from 'node:crypto';
import { isRefused, type PlanStep, planUpdate, type UpdatePlan, type UpdateRequest } from '../plan/index.js';
import type { EvaluationTime, RepositoryIndex } from '../repo/index.js';
import { rpmvercmp } from '../version/index.js';
import { evaluateReport, type HostEvaluation, viewOfStatus } from './host-status.js';
import type { StatusDocument } from './report.js';
import { type OfferedRepository, offeredRepository } from './repository.js';

/** A plan step as the API shows it: the server's file path is left out, the sha256 names the file. */
export type FleetPlanStep =
  | Omit<Extract<PlanStep, { op: 'load' }>, 'file'>
  | Exclude<PlanStep, { op: 'load' }>;

/** One replace set's part of a host's plan: the livepatch to apply, or none and why. */
export interface FleetSetPlan {
  readonly replaceSet: number;
  readonly kind: string;
  readonly refused: boolean;
  /** the version the set is brought to, or null when nothing is loaded */
  readonly to: string | null;
  readonly sha256: string | null;
  /** where an agent fetches the module: the repository's file by its sha256, or null without one */
  readonly fetch: string | null;
  readonly reason: string;
  readonly steps: ReadonlyArray<FleetPlanStep>;
  readonly notes: ReadonlyArray<string>;
  readonly predictedLog: ReadonlyArray<string>;
}

/** What `GET /v1/hosts/{id}/plan` answers, and what a report is answered with. */
export interface FleetPlan {
  /** `planned`; `input` when the report lacks what a plan needs (the build ID); `bad-request` */
  readonly outcome: 'planned' | 'input' | 'bad-request';
  readonly reason: string;
  readonly sets: ReadonlyArray<FleetSetPlan>;
  /** every set's steps, in the order they run */
  readonly steps: ReadonlyArray<FleetPlanStep>;
  readonly planHash: string;
  /**
   * the part of the repository the plan was made from (klpm's JSON index, without file paths): an
   * agent plans again from it and its own view, and compares the hash
   */
  readonly offered: OfferedRepository;
}

/**
 * The host's plan: plan/'s `planUpdate` for an apply, on the view rebuilt from its reported status,
 * the same planner `klpm apply` runs, so the agent can plan again and compare the hash. A rollout's
 * rollback plans another request (src/fleet/rollout `gatedPlan`), which the plan then names.
 */
export function planForHost(
  status: StatusDocument,
  buildId: string | null,
  index: RepositoryIndex,
  time: EvaluationTime,
  request: UpdateRequest = { type: 'apply' },
): FleetPlan {
  const planned = planUpdate({
    request,
    view: viewOfStatus(status),
    index,
    buildId: buildId?.toLowerCase() ?? undefined,
    time,
    compare: rpmvercmp,
  });
  return fleetPlanOf(planned, offeredRepository(index, buildId));
}

/**
 * The plan as the API shows it, from what `planUpdate` answered: the server's plan of a host, and
 * the agent's own plan of itself, which it compares with the server's by `planHash`.
 */
export function fleetPlanOf(planned: UpdatePlan, offered: OfferedRepository): FleetPlan {
  const withHash = (outcome: FleetPlan['outcome'], reason: string, sets: ReadonlyArray<FleetSetPlan>) => {
    const steps = sets.flatMap((s) => s.steps);
    return { outcome, reason, sets, steps, planHash: planHash(steps), offered };
  };
  if (planned.kind === 'input')
    return withHash('input', `the report carries no ${planned.missing}: nothing can be planned`, []);
  if (planned.kind === 'bad-request') return withHash('bad-request', planned.reason, []);
  const sets = planned.plans.map(({ replaceSet, goal, plan, applicability }): FleetSetPlan => {
    const offer = goal.type === 'apply' ? goal.patch : undefined;
    const sha256 = offer?.sha256 ?? null;
    const refused = isRefused(plan);
    return {
      replaceSet,
      kind: isRefused(plan) ? 'refused' : plan.kind,
      refused,
      to: offer?.version ?? null,
      sha256,
      fetch: sha256 === null ? null : `/v1/files/${sha256}`,
      reason: isRefused(plan)
        ? plan.reason
        : offer !== undefined && sha256 === null
          ? `the repository lists no sha256 for ${offer.version}: nothing can be fetched or verified`
          : (applicability?.reason ?? (goal.type === 'reboot' ? goal.reason : '')),
      steps: plan.steps.map(publicStep),
      notes: isRefused(plan) ? [] : plan.notes,
      predictedLog: plan.predictedLog,
    };
  });
  return withHash('planned', planned.reason, sets);
}

/** A plan step as the API shows it: without the file path (the agent's and the server's differ). */
export function publicStep(step: PlanStep): FleetPlanStep {
  if (step.op !== 'load') return step;
  const { file: _file, ...rest } = step;
  return rest;
}

/** sha256 of the canonical JSON of the steps and the sha256s of the files they load (docs/fleet.md). */
export function planHash(steps: ReadonlyArray<FleetPlanStep>): string {
  const files = steps.flatMap((s) => (s.op === 'load' && s.sha256 !== undefined ? [s.sha256] : []));
  return createHash('sha256').update(canonicalJson({ steps, files })).digest('hex');
}

/** JSON with object keys sorted and no white space: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What the server makes of a report against a repository: the host's status and its plan. A report
 * is assessed when it comes, and every stored report again when the repository changes.
 */
export function assessReport(
  report: { readonly status: StatusDocument; readonly buildId: string | null },
  index: RepositoryIndex,
  time: EvaluationTime,
): { evaluation: HostEvaluation; plan: FleetPlan } {
  return {
    evaluation: evaluateReport(report.status, report.buildId, index, time),
    plan: planForHost(report.status, report.buildId, index, time),
  };
}
