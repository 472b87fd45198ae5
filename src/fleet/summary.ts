import type { ApplicabilityStatus, RebootNeed } from '../repo/index.js';
import { isSilent } from './duration.js';
import { REBOOT_ORDER, STATUS_ORDER, worstStatus } from './host-status.js';

/** What the summary needs of one host: the columns the store keeps. */
export interface SummaryHost {
  readonly buildId: string | null;
  readonly release: string | null;
  readonly status: ApplicabilityStatus;
  readonly reboot: RebootNeed;
  readonly expires: string | null;
  /** ms since the epoch */
  readonly lastSeen: number;
  /** seconds */
  readonly interval: number;
  /**
   * how many hosts this row stands for (default 1): a store may hand over one row per group of
   * hosts alike in every other field, where `lastSeen` is silent for all of them or for none
   */
  readonly hosts?: number;
}

/** `GET /v1/summary`. */
export interface FleetSummary {
  readonly hosts: number;
  readonly status: Record<ApplicabilityStatus, number>;
  readonly reboot: Record<RebootNeed, number>;
  readonly silent: number;
  readonly builds: ReadonlyArray<{
    readonly buildId: string | null;
    readonly release: string | null;
    readonly hosts: number;
    readonly status: ApplicabilityStatus;
    readonly expires: string | null;
  }>;
}

const counts = <K extends string>(keys: ReadonlyArray<K>) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/**
 * The fleet at `now`: hosts per status and reboot need, the silent ones, and per build its hosts,
 * its worst status and the earliest date its coverage ends, most hosts first.
 */
export function summarize(hosts: Iterable<SummaryHost>, now: number): FleetSummary {
  const status = counts(STATUS_ORDER);
  const reboot = counts(REBOOT_ORDER);
  let total = 0;
  let silent = 0;
  const builds = new Map<
    string | null,
    { release: string | null; hosts: number; statuses: ApplicabilityStatus[]; expires: string | null }
  >();
  for (const host of hosts) {
    const n = host.hosts ?? 1;
    total += n;
    status[host.status] += n;
    reboot[host.reboot] += n;
    if (isSilent(host.lastSeen, host.interval, now)) silent += n;
    const build = builds.get(host.buildId) ?? {
      release: host.release,
      hosts: 0,
      statuses: [],
      expires: null,
    };
    builds.set(host.buildId, build);
    build.hosts += n;
    if (!build.statuses.includes(host.status)) build.statuses.push(host.status);
    if (host.expires !== null && (build.expires === null || host.expires < build.expires))
      build.expires = host.expires;
  }
  return {
    hosts: total,
    status,
    reboot,
    silent,
    builds: [...builds]
      .map(([buildId, b]) => ({
        buildId,
        release: b.release,
        hosts: b.hosts,
        status: worstStatus(b.statuses),
        expires: b.expires,
      }))
      .sort((a, b) => b.hosts - a.hosts || String(a.buildId).localeCompare(String(b.buildId))),
  };
}
