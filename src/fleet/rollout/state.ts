import type { WaveSpec } from './spec.js';

/** A rollout's state (the API's words). `running`, `halted` and `paused` are active: one per set. */
export type RolloutStateName = 'running' | 'halted' | 'paused' | 'done' | 'aborted' | 'rolled-back';
/** A wave's state: not yet open, open (its hosts are offered `to`), soaking, done. */
export type WaveStateName = 'pending' | 'open' | 'soaking' | 'done';

export const ACTIVE_STATES: ReadonlyArray<RolloutStateName> = ['running', 'halted', 'paused'];

export interface WaveState extends WaveSpec {
  readonly state: WaveStateName;
  /** ms; null while pending */
  readonly openedAt: number | null;
  /** when its last host settled (applied or failed): the soak counts from here */
  readonly settledAt: number | null;
  readonly completedAt: number | null;
}

/** A rollout as the store keeps it (one JSON document) and `advanceRollout` steps it. */
export interface Rollout {
  readonly id: string;
  readonly component: string;
  readonly replaceSet: number;
  readonly to: string;
  /** the update id it was started from, or null when `to` was given */
  readonly update: string | null;
  readonly state: RolloutStateName;
  readonly reason: string;
  /** the hosts named by the halt */
  readonly haltedHosts: ReadonlyArray<string>;
  readonly waves: ReadonlyArray<WaveState>;
  /** hosts whose build has no livepatch at `to` (RO-SCOPE) */
  readonly outOfScope: ReadonlyArray<string>;
  readonly createdAt: number;
  /** the token id that started it */
  readonly createdBy: string;
  readonly updatedAt: number;
}

/** A failure of one host in a rollout, and whether a resume acknowledged it. */
export interface HostFailure {
  readonly at: number;
  readonly reason: string;
}

/** What the rollout knows of one of its hosts (a row of the store, joined with the host's check-ins). */
export interface RolloutHost {
  readonly hostId: string;
  /** the wave that selects it, -1 for none (RO-MEMBER) */
  readonly wave: number;
  /** the build it ran when it joined the rollout */
  readonly buildId: string | null;
  /** the version it ran in the replace set before the rollout (what a rollback returns it to) */
  readonly fromTo: string | null;
  /** when a plan offering `to` was first answered to it */
  readonly planGivenAt: number | null;
  readonly appliedAt: number | null;
  readonly failure: HostFailure | null;
  readonly acknowledged: boolean;
  /** its last check-in (ms) and interval (s), for silence */
  readonly lastSeen: number | null;
  readonly interval: number | null;
}
