import type {
  Candidate,
  FleetPlan,
  HostChange,
  HostEvaluation,
  HostFilter,
  Membership,
  Pin,
  PinKey,
  Report,
  Rollout,
  RolloutHost,
  SummaryHost,
} from '../fleet/index.js';

export type Role = 'admin' | 'viewer';

/** Who a bearer token belongs to. */
export type Principal =
  | { readonly kind: 'role'; readonly role: Role; readonly tokenId: string }
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
  /** why the host is in conflict (two machines report with its token: src/fleet cloneConflict), or null */
  readonly conflict: string | null;
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

export type SaveResult = 'stored' | 'stale' | 'conflict';

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
  /** the report's `reportFingerprint` (src/fleet), when the caller has it; the store makes it otherwise */
  readonly fingerprint?: string | undefined;
}

/** A host's new status and plan after the repository changed. */
export interface Assessment {
  readonly hostId: string;
  /** the seq of the report assessed: a host that reported since keeps its newer answer */
  readonly seq: number;
  readonly evaluation: HostEvaluation;
  readonly plan: FleetPlan;
  /** the assessed report's fingerprint, written with the answer (a row stored before migration 6 has none) */
  readonly fingerprint?: string | undefined;
}

/** The answer for every host whose report has `fingerprint` (src/fleet reportFingerprint). */
export interface GroupAssessment {
  readonly fingerprint: string;
  readonly evaluation: HostEvaluation;
  readonly plan: FleetPlan;
}

/** One report of each fingerprint stored: what a re-evaluation assesses for the group. */
export interface FingerprintGroup {
  readonly fingerprint: string;
  readonly hostId: string;
  readonly report: Report;
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
export interface FleetStore extends RolloutStore {
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
   * above the stored one (a resent report: nothing changes); `conflict` when it cannot come from the
   * machine whose reports are stored (src/fleet cloneConflict): nothing is merged, the host is marked
   * with the reason and gets a `conflict` event (the first time)
   */
  saveReport(hostId: string, record: ReportRecord): Promise<SaveResult>;
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
  /**
   * like `reportPage`, only the reported hosts whose row has no fingerprint (stored before
   * migration 6), which a re-evaluation assesses one by one
   */
  unfingerprintedPage(
    after: string | null,
    limit: number,
  ): Promise<Array<{ hostId: string; report: Report }>>;
  /** the latest reports of the named hosts that have reported */
  hostReports(ids: ReadonlyArray<string>): Promise<Array<{ hostId: string; report: Report }>>;
  /** one stored report of each distinct fingerprint */
  fingerprintGroups(): Promise<FingerprintGroup[]>;
  /**
   * writes each group's answer to every host with its fingerprint except the hosts in `except`
   * (set-based: SQLite in one transaction that also keeps the summary's counts, PostgreSQL in
   * batches); `hosts` is how many hosts the groups hold (less `except`), `rewritten` how many rows
   * changed (a host whose status and plan stay is not written)
   */
  saveGroupAssessments(
    groups: ReadonlyArray<GroupAssessment>,
    except: ReadonlyArray<string>,
  ): Promise<{ hosts: number; rewritten: number }>;
  /** the hosts carrying `label` (a label pin's hosts) */
  labelledHosts(label: string): Promise<string[]>;
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
  /**
   * Only where several servers share the store (PostgreSQL): counts one use of the rate-limit
   * window `key` (a window starts at its first use and lasts `windowMs`) and answers the window.
   */
  takeRate?(key: string, windowMs: number, now: number): Promise<{ start: number; used: number }>;
  /**
   * Only where several servers share the store: claims the re-evaluation of every host against the
   * repository whose hash is `hash`. Undefined when it is done already (the hash recorded) or another
   * server is doing it; otherwise `done` records the hash and lets go, `abandon` lets go without.
   */
  claimReevaluation?(
    hash: string,
  ): Promise<{ done(now: number): Promise<void>; abandon(): Promise<void> } | undefined>;
  close(): Promise<void>;
}

/** One admin action as the audit log keeps it: who (the token id), when (ISO), what, on what. */
export interface AuditEntry {
  readonly at: string;
  readonly who: string;
  readonly action: string;
  readonly target: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A webhook delivery that is still to be made: the event, where to, and how often it was tried. */
export interface WebhookDelivery {
  readonly eventId: string;
  readonly url: string;
  readonly kind: string;
  readonly body: string;
  readonly attempts: number;
}

/** The rollouts' part of the store (migration 3): rollouts, their hosts, pins, audit, webhooks. */
export interface RolloutStore {
  /** stores a new rollout with its hosts; `conflict` when one is active for its component and set */
  createRollout(rollout: Rollout, hosts: ReadonlyArray<RolloutHost>): Promise<'created' | 'conflict'>;
  saveRollout(rollout: Rollout): Promise<void>;
  /** every rollout, newest first */
  listRollouts(): Promise<Rollout[]>;
  rollout(id: string): Promise<Rollout | undefined>;
  /** the rollout's hosts (of the given waves only, when named), with each host's last check-in and interval */
  rolloutHosts(id: string, waves?: ReadonlyArray<number>): Promise<RolloutHost[]>;
  rolloutHost(id: string, hostId: string): Promise<RolloutHost | undefined>;
  /** a host's labels and its places in rollouts, or undefined for an unknown host */
  hostRollouts(hostId: string): Promise<{ labels: string[]; memberships: Membership[] } | undefined>;
  /** adds a host that reported after the rollout started (nothing when it is there) */
  addRolloutHost(id: string, host: RolloutHost): Promise<void>;
  /** records what a report or event changed; a failure or an applied time already set stays */
  updateRolloutHost(id: string, hostId: string, change: HostChange): Promise<void>;
  /** a resume of a halt: every failure so far no longer counts against a budget */
  acknowledgeFailures(id: string): Promise<void>;
  /** the hosts that have reported, in id order after `after`, as a new rollout places them */
  rolloutCandidates(after: string | null, limit: number): Promise<Candidate[]>;
  /** sets a pin (replacing the one of the same host or label, component and set) */
  putPin(pin: Pin): Promise<void>;
  listPins(): Promise<Pin[]>;
  deletePin(key: PinKey): Promise<boolean>;
  addAudit(entry: {
    at: number;
    who: string;
    action: string;
    target: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
  /** the newest `limit` entries, newest first */
  listAudit(limit: number): Promise<AuditEntry[]>;
  /** queues a delivery of an event to a URL; false when that event was queued for it before (once-only) */
  addDelivery(delivery: {
    eventId: string;
    url: string;
    kind: string;
    body: string;
    now: number;
  }): Promise<boolean>;
  /** deliveries not yet made whose next try is due */
  dueDeliveries(now: number, limit: number): Promise<WebhookDelivery[]>;
  markDelivery(
    eventId: string,
    url: string,
    result: { delivered: true; at: number } | { delivered: false; nextAt: number; error: string },
  ): Promise<void>;
}
