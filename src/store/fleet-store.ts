import type { FleetPlan, HostEvaluation, HostFilter, Report, SummaryHost } from '../fleet/index.js';

export type Role = 'admin' | 'viewer';

/** Who a bearer token belongs to. */
export type Principal =
  | { readonly kind: 'role'; readonly role: Role }
  | { readonly kind: 'host'; readonly hostId: string };

/** An enrollment secret's terms. `expires` is ms since the epoch. */
export interface EnrollTerms {
  readonly expires?: number | undefined;
  readonly maxHosts?: number | undefined;
  readonly labels: ReadonlyArray<string>;
}

export type EnrollResult =
  | { readonly kind: 'enrolled'; readonly id: string; readonly token: string }
  | { readonly kind: 'refused'; readonly reason: 'unknown' | 'expired' | 'exhausted' };

/** A host as the list shows it (`GET /v1/hosts`). */
export interface HostRow {
  readonly id: string;
  readonly hostname: string;
  readonly buildId: string | null;
  readonly release: string | null;
  readonly status: HostEvaluation['status'];
  readonly reboot: HostEvaluation['reboot'];
  /** ISO time of the last report, null before the first */
  readonly lastSeen: string | null;
  readonly labels: ReadonlyArray<string>;
}

/** Something that happened to a host: for now a boot into another kernel or boot id. */
export interface HostEvent {
  readonly at: string;
  readonly kind: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface HostDetail {
  readonly host: HostRow;
  readonly report: Report | null;
  readonly plan: FleetPlan | null;
  readonly events: ReadonlyArray<HostEvent>;
}

/** One check-in to store: the report, what the server made of it, and when it came (ms). */
export interface ReportRecord {
  readonly report: Report;
  readonly evaluation: HostEvaluation;
  readonly plan: FleetPlan;
  readonly receivedAt: number;
}

/**
 * The fleet's storage, one interface for every engine. Every method is async so an engine over the
 * network fits; SQL stays behind it.
 */
export interface FleetStore {
  /** makes an admin or viewer token; returns the token, which is not stored */
  createToken(role: Role): Promise<string>;
  /** makes an enrollment secret; returns the secret, which is not stored */
  createEnrollSecret(terms: EnrollTerms): Promise<string>;
  /** who a bearer token belongs to, or undefined */
  authenticate(token: string): Promise<Principal | undefined>;
  /** trades a secret for a host id and token; a machine enrolled before keeps its id and gets a new token */
  enroll(request: {
    secret: string;
    machineId: string;
    hostname: string;
    now: number;
  }): Promise<EnrollResult>;
  /**
   * stores a report as the host's latest (and in its bounded history); `stale` when its `seq` is not
   * above the stored one (a resent report: nothing changes)
   */
  saveReport(hostId: string, record: ReportRecord): Promise<'stored' | 'stale'>;
  /** the host's latest plan, or undefined for an unknown host (null before its first report) */
  hostPlan(hostId: string): Promise<FleetPlan | null | undefined>;
  host(hostId: string): Promise<HostDetail | undefined>;
  listHosts(filter: HostFilter, now: number): Promise<{ hosts: HostRow[]; nextAfter: string | null }>;
  /** every host that has reported, as the summary takes them */
  summaryHosts(): Promise<SummaryHost[]>;
  /** whether the store answers */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
