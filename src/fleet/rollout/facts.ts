import type { RepositoryIndex } from '../../repo/index.js';
import { type HostEventBody, logMatches } from '../event.js';
import type { FleetPlan } from '../host-plan.js';
import type { StatusDocument } from '../report.js';
import { waveOf } from './membership.js';
import { inScope, runningVersion } from './scope.js';
import type { RolloutSpec } from './spec.js';
import { ACTIVE_STATES, type HostFailure, type Rollout, type RolloutHost } from './state.js';

/** A host as a new rollout places it: its id, labels and latest report. */
export interface Candidate {
  readonly hostId: string;
  readonly labels: ReadonlyArray<string>;
  readonly buildId: string | null;
  readonly status: StatusDocument | null;
}

/** A new rollout of `to`: every wave pending; `advanceRollout` opens the first. */
export function newRollout(
  spec: RolloutSpec,
  fields: { id: string; to: string; now: number; createdBy: string },
): Rollout {
  return {
    id: fields.id,
    component: spec.component,
    replaceSet: spec.replaceSet,
    to: fields.to,
    update: spec.update ?? null,
    state: 'running',
    reason: '',
    haltedHosts: [],
    waves: spec.waves.map((w) => ({
      ...w,
      state: 'pending',
      openedAt: null,
      settledAt: null,
      completedAt: null,
    })),
    outOfScope: [],
    createdAt: fields.now,
    createdBy: fields.createdBy,
    updatedAt: fields.now,
  };
}

/**
 * A host's place in a rollout (RO-MEMBER, RO-SCOPE): out of scope when its build has no livepatch
 * at `to`, else the first wave that selects it (-1: none), with the version it runs now, and as
 * applied already when that is `to`.
 */
export function placeHost(
  rollout: Rollout,
  host: Candidate,
  index: RepositoryIndex,
  now: number,
): { kind: 'out-of-scope' } | { kind: 'member'; host: RolloutHost } {
  if (!inScope(index, rollout, host.buildId)) return { kind: 'out-of-scope' };
  const fromTo =
    host.status === null ? null : runningVersion(host.status, host.buildId, index, rollout.replaceSet);
  return {
    kind: 'member',
    host: {
      hostId: host.hostId,
      wave: waveOf(rollout.waves, { id: host.hostId, labels: host.labels }),
      buildId: host.buildId?.toLowerCase() ?? null,
      fromTo,
      planGivenAt: null,
      appliedAt: fromTo === rollout.to ? now : null,
      failure: null,
      acknowledged: false,
      lastSeen: null,
      interval: null,
    },
  };
}

/** Whether the host's wave is open and not done in an active rollout: its failures count. */
function counting(rollout: Rollout, host: RolloutHost): boolean {
  const wave = rollout.waves[host.wave];
  return (
    ACTIVE_STATES.includes(rollout.state) &&
    wave !== undefined &&
    wave.state !== 'pending' &&
    wave.state !== 'done'
  );
}

/** What a host's report changes of its place in a rollout. */
export interface HostChange {
  readonly planGivenAt?: number;
  readonly appliedAt?: number;
  readonly failure?: HostFailure;
}

/**
 * What a report tells a rollout of one of its hosts: it runs `to` (applied), it was answered a
 * plan offering `to` (the plan was given), or, after it applied, it came back on another build
 * while its wave soaks (RO-FAIL-REBOOT).
 */
export function reportChange(
  rollout: Rollout,
  host: RolloutHost,
  report: { readonly buildId: string | null; readonly status: StatusDocument },
  plan: FleetPlan,
  index: RepositoryIndex,
  now: number,
): HostChange {
  if (!counting(rollout, host)) return {};
  const change: { planGivenAt?: number; appliedAt?: number; failure?: HostFailure } = {};
  const buildId = report.buildId?.toLowerCase() ?? null;
  if (host.appliedAt !== null && buildId !== host.buildId && host.failure === null)
    change.failure = { at: now, reason: `rebooted into build ${buildId ?? 'unknown'} within the soak` };
  if (
    host.appliedAt === null &&
    runningVersion(report.status, buildId, index, rollout.replaceSet) === rollout.to
  )
    change.appliedAt = now;
  if (
    host.planGivenAt === null &&
    plan.sets.some((s) => s.replaceSet === rollout.replaceSet && s.to === rollout.to)
  )
    change.planGivenAt = now;
  return change;
}

/**
 * RO-FAIL-APPLY, RO-FAIL-REFUSED, RO-FAIL-LOG: an apply event of a host of an open wave that
 * failed a step, had its transition reversed, refused its plan (a file that failed its checks), or
 * whose real kernel log is not the predicted one.
 */
export function eventFailure(
  rollout: Rollout,
  host: RolloutHost,
  event: HostEventBody,
  now: number,
): HostFailure | undefined {
  if (!counting(rollout, host) || host.failure !== null || event.kind !== 'apply') return undefined;
  const reason =
    event.outcome === 'failed'
      ? `apply failed${event.step === null ? '' : ` at step ${event.step.index} (${event.step.op} ${event.step.patch})`}: ${event.reason}`
      : event.outcome === 'reversed'
        ? `the transition was reversed: ${event.reason}`
        : event.outcome === 'refused'
          ? `refused its plan: ${event.reason}`
          : !logMatches(event.log, event.predictedLog)
            ? 'the kernel log differs from the predicted one'
            : undefined;
  return reason === undefined ? undefined : { at: now, reason: reason.slice(0, 512) };
}

/** `GET /v1/rollouts/{id}`: the rollout with each wave's counts and failures (docs/fleet.md). */
export function rolloutView(rollout: Rollout, hosts: ReadonlyArray<RolloutHost>) {
  return {
    id: rollout.id,
    state: rollout.state,
    reason: rollout.reason,
    component: rollout.component,
    replaceSet: rollout.replaceSet,
    to: rollout.to,
    update: rollout.update,
    haltedHosts: rollout.haltedHosts,
    createdAt: new Date(rollout.createdAt).toISOString(),
    createdBy: rollout.createdBy,
    updatedAt: new Date(rollout.updatedAt).toISOString(),
    outOfScope: rollout.outOfScope,
    inNoWave: hosts.filter((h) => h.wave < 0).length,
    waves: rollout.waves.map((wave, i) => {
      const members = hosts.filter((h) => h.wave === i);
      const failed = members.filter((h) => h.failure !== null);
      const applied = members.filter((h) => h.appliedAt !== null && h.failure === null).length;
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      return {
        name: wave.name,
        state: wave.state,
        hosts: members.length,
        applied,
        failed: failed.length,
        pending: members.length - applied - failed.length,
        failures: failed.map((h) => ({
          host: h.hostId,
          reason: h.failure!.reason,
          acknowledged: h.acknowledged,
        })),
        select: wave.select,
        failureBudget: wave.failureBudget,
        soak: wave.soak,
        deadline: wave.deadline,
        openedAt: iso(wave.openedAt),
        completedAt: iso(wave.completedAt),
      };
    }),
  };
}
export type RolloutView = ReturnType<typeof rolloutView>;
