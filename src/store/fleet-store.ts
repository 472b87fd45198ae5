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

/**
 * Something that happened to a host: `enroll`, `boot` (another kernel or boot id), and what an
 * agent posts (`apply`, `rollback`, `unload`, with the event body as the detail).
 */
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

/** A host's new status and plan after the repository changed. */
export interface Assessment {
  readonly hostId: string;
  /** the seq of the report assessed: a host that reported since keeps its newer answer */
  readonly seq: number;
  readonly evaluation: HostEvaluation;
  readonly plan: FleetPlan;
}

/** An API token as an admin lists it: never its secret. Times are ISO. */
export interface TokenInfo {
  readonly id: string;
  readonly role: Role;
  readonly createdAt: string;
}

/** An enrollment secret as an admin lists it: its terms and use, never the secret. Times are ISO. */
export interface EnrollSecretInfo {
  readonly id: string;
  readonly expires: string | null;
  readonly maxHosts: number | null;
  readonly used: number;
  readonly labels: ReadonlyArray<string>;
  readonly createdAt: string;
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
  /**
   * every host that has reported, as the summary takes them; given `now` (ms), hosts alike in every
   * column and in being silent at `now` come as one row with their count (`hosts`), so the database
   * does the counting
   */
  summaryHosts(now?: number): Promise<SummaryHost[]>;
  /** adds an event to a host's events (`at` in ms) */
  saveEvent(
    hostId: string,
    event: { at: number; kind: string; detail: Readonly<Record<string, unknown>> },
  ): Promise<void>;
  /** the latest reports of hosts that have reported, in id order, after `after` (null: from the start) */
  reportPage(after: string | null, limit: number): Promise<Array<{ hostId: string; report: Report }>>;
  /** stores new statuses and plans (after the repository changed), in one transaction */
  saveAssessments(assessments: ReadonlyArray<Assessment>): Promise<void>;
  /** every API token, oldest first */
  listTokens(): Promise<TokenInfo[]>;
  /** deletes an API token: it stops working at once; false when there is none with that id */
  revokeToken(id: string): Promise<boolean>;
  /** every enrollment secret, oldest first */
  listEnrollSecrets(): Promise<EnrollSecretInfo[]>;
  /** deletes an enrollment secret (the hosts it enrolled stay); false when there is none with that id */
  revokeEnrollSecret(id: string): Promise<boolean>;
  /** deletes a host with its labels, history and events: its token stops working; false when unknown */
  deleteHost(id: string): Promise<boolean>;
  /**
   * the key that signs dashboard sessions (32 random bytes), made on first use and kept in the
   * database, so every server sharing it accepts the others' sessions
   */
  sessionKey(): Promise<Buffer>;
  /** whether the store answers */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
