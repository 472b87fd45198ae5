import type { RolloutHost, SummaryHost } from '../fleet/index.js';
import type { EnrollSecretInfo, HostRow } from './fleet-store.js';

/*
 * The rows both engines read, and how each becomes what the store interface answers: the same
 * columns on SQLite and PostgreSQL (one migration list), so one mapping.
 */

export interface HostColumns {
  id: string;
  hostname: string;
  build_id: string | null;
  release: string | null;
  status: HostRow['status'];
  reboot: HostRow['reboot'];
  last_seen: number | null;
  labels: string;
  conflict: string | null;
}

export const HOST_COLUMNS = 'id, hostname, build_id, release, status, reboot, last_seen, labels, conflict';

export const rowOf = (h: HostColumns): HostRow => ({
  id: h.id,
  hostname: h.hostname,
  buildId: h.build_id,
  release: h.release,
  status: h.status,
  reboot: h.reboot,
  lastSeen: h.last_seen === null ? null : new Date(h.last_seen).toISOString(),
  labels: JSON.parse(h.labels) as string[],
  conflict: h.conflict,
});

export interface SecretColumns {
  id: string;
  expires_at: number | null;
  max_hosts: number | null;
  used: number;
  labels: string;
  created_at: number;
}

export const secretInfoOf = (r: SecretColumns): EnrollSecretInfo => ({
  id: r.id,
  expires: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
  maxHosts: r.max_hosts,
  used: r.used,
  labels: JSON.parse(r.labels) as string[],
  createdAt: new Date(r.created_at).toISOString(),
});

export interface SummaryColumns {
  build_id: string | null;
  release: string | null;
  status: SummaryHost['status'];
  reboot: SummaryHost['reboot'];
  expires: string | null;
  last_seen: number;
  interval_s: number;
}

export const summaryHostOf = (r: SummaryColumns): SummaryHost => ({
  buildId: r.build_id,
  release: r.release,
  status: r.status,
  reboot: r.reboot,
  expires: r.expires,
  lastSeen: r.last_seen,
  interval: r.interval_s,
});

export interface RolloutHostColumns {
  host_id: string;
  wave: number;
  build_id: string | null;
  from_to: string | null;
  plan_given_at: number | null;
  applied_at: number | null;
  failed_at: number | null;
  reason: string | null;
  acknowledged: number;
  last_seen: number | null;
  interval_s: number | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

export const rolloutHostOf = (r: RolloutHostColumns): RolloutHost => ({
  hostId: r.host_id,
  wave: Number(r.wave),
  buildId: r.build_id,
  fromTo: r.from_to,
  planGivenAt: num(r.plan_given_at),
  appliedAt: num(r.applied_at),
  failure: r.failed_at === null ? null : { at: Number(r.failed_at), reason: r.reason ?? '' },
  acknowledged: Number(r.acknowledged) !== 0,
  lastSeen: num(r.last_seen),
  interval: num(r.interval_s),
});
