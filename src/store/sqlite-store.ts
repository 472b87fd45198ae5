import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  cloneConflict,
  type FleetPlan,
  type HostFilter,
  isStuck,
  type Report,
  reportFingerprint,
  type SummaryHost,
} from '../fleet/index.js';
import { InputError } from '../input/index.js';
import { newCredential, secretMatches, splitCredential } from './credentials.js';
import type {
  Assessment,
  EnrollResult,
  EnrollSecretInfo,
  EnrollTerms,
  FingerprintGroup,
  FleetStore,
  GroupAssessment,
  HostDetail,
  HostRow,
  Principal,
  ReportRecord,
  Role,
  SaveResult,
  TokenInfo,
} from './fleet-store.js';
import {
  ftsPhrase,
  hostListQuery,
  pageOf,
  SEARCH_INDEX_LIMIT,
  type SearchPlan,
  TRIGRAM,
} from './host-list.js';
import { EVENTS_SHOWN, HISTORY_PER_HOST, migrations } from './migrations.js';
import { PLAN_COLUMN, type PlanText, planTextOf } from './plan-text.js';
import { DISTINCT_FINGERPRINTS } from './reevaluation-sql.js';
import { RolloutSql, type SqlConn } from './rollout-sql.js';
import {
  HOST_COLUMNS,
  type HostColumns,
  rowOf,
  type SecretColumns,
  type SummaryColumns,
  secretInfoOf,
  summaryHostOf,
} from './rows.js';

/** Opens (and migrates) the SQLite fleet database at `path`, in WAL mode. */
export interface SqliteStoreOptions {
  /**
   * sees the text of every statement the store prepares after its migrations (tests: the fuzz test
   * checks that no value ever becomes part of one; every value is a bound parameter)
   */
  readonly onSql?: (sql: string) => void;
  /**
   * up to how many matches a search reads them from its index rather than scanning the list in
   * order (default SEARCH_INDEX_LIMIT; tests set it low to take the scan with a few hosts)
   */
  readonly searchIndexLimit?: number;
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): FleetStore {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw new InputError(`cannot open the fleet database: ${(error as Error).message}`, path);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const { onSql } = options;
  if (onSql !== undefined) {
    const prepare = db.prepare.bind(db);
    db.prepare = ((text: string) => {
      onSql(text);
      return prepare(text);
    }) as typeof db.prepare;
  }
  return new SqliteStore(db, options.searchIndexLimit ?? SEARCH_INDEX_LIMIT);
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((r) => (r as { version: number }).version),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql('sqlite'));
      db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(m.version);
    })();
  }
}

/** The host's group in host_counts, by its row (a host that has not reported is in none). */
const GROUP_OF_HOST = `SELECT COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
    COALESCE(interval_s, -1) FROM hosts WHERE id = ? AND last_seen IS NOT NULL`;
const UNCOUNT = `UPDATE host_counts SET hosts = hosts - 1
  WHERE (build_id, release, status, reboot, expires, interval_s) = (${GROUP_OF_HOST})`;
const COUNT = `INSERT INTO host_counts (build_id, release, status, reboot, expires, interval_s, hosts)
  SELECT COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
    COALESCE(interval_s, -1), 1 FROM hosts WHERE id = ? AND last_seen IS NOT NULL
  ON CONFLICT (build_id, release, status, reboot, expires, interval_s) DO UPDATE SET hosts = hosts + 1`;

/** host_counts counted afresh, as migration 5 counts an existing database. */
const RECOUNT = `DELETE FROM host_counts;
INSERT INTO host_counts (build_id, release, status, reboot, expires, interval_s, hosts)
  SELECT COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
         COALESCE(interval_s, -1), COUNT(*)
    FROM hosts WHERE last_seen IS NOT NULL
    GROUP BY COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
             COALESCE(interval_s, -1);`;

interface QueuedReport {
  readonly hostId: string;
  readonly record: ReportRecord;
  readonly resolve: (result: SaveResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The rollouts' statements on SQLite: one connection, so a transaction is BEGIN..COMMIT around work
 * whose every await is one of these synchronous statements (no other request's write comes between).
 */
function sqliteRunner(db: Database.Database): ConstructorParameters<typeof RolloutSql> {
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  const conn: SqlConn = {
    all: async <T>(sql: string, params: ReadonlyArray<unknown>) => prepared(sql).all(...params) as T[],
    run: async (sql, params) => prepared(sql).run(...params).changes,
  };
  const transaction = async <T>(work: (c: SqlConn) => Promise<T>): Promise<T> => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(conn);
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
  return [conn, transaction, async () => {}];
}

class SqliteStore extends RolloutSql implements FleetStore {
  /** every statement, prepared once: preparing is a good part of a small write's cost */
  private readonly statements = new Map<string, Database.Statement>();
  /** the reports waiting for the next group commit */
  private queue: QueuedReport[] = [];
  /** the plan keys known to be in shared_plans (nothing deletes from it) */
  private readonly sharedPlans = new Set<string>();

  constructor(
    private readonly db: Database.Database,
    private readonly searchIndexLimit: number,
  ) {
    super(...sqliteRunner(db));
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async createToken(role: Role): Promise<string> {
    const credential = newCredential();
    this.sql('INSERT INTO api_tokens (id, role, hash, created_at) VALUES (?, ?, ?, ?)').run(
      credential.id,
      role,
      credential.hash,
      Date.now(),
    );
    // made on the database itself (`klpm serve token create`): `who` is `local`
    await this.addAudit({
      at: Date.now(),
      who: 'local',
      action: 'token.create',
      target: credential.id,
      detail: { role },
    });
    return credential.text;
  }

  async createEnrollSecret(terms: EnrollTerms): Promise<string> {
    const credential = newCredential();
    this.sql(
      'INSERT INTO enroll_secrets (id, hash, expires_at, max_hosts, labels, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      credential.id,
      credential.hash,
      terms.expires ?? null,
      terms.maxHosts ?? null,
      JSON.stringify(terms.labels),
      Date.now(),
    );
    await this.addAudit({
      at: Date.now(),
      who: 'local',
      action: 'enroll-secret.create',
      target: credential.id,
      detail: { ...terms },
    });
    return credential.text;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const parts = splitCredential(token);
    if (parts === undefined) return undefined;
    const api = this.sql('SELECT role, hash FROM api_tokens WHERE id = ?').get(parts.id) as
      | { role: Role; hash: Buffer }
      | undefined;
    if (api !== undefined)
      return secretMatches(parts.secret, api.hash)
        ? { kind: 'role', role: api.role, tokenId: parts.id }
        : undefined;
    const host = this.sql('SELECT token_hash FROM hosts WHERE id = ?').get(parts.id) as
      | { token_hash: Buffer }
      | undefined;
    if (host !== undefined && secretMatches(parts.secret, host.token_hash))
      return { kind: 'host', hostId: parts.id };
    return undefined;
  }

  async enroll(request: {
    secret: string;
    machineId: string;
    hostname: string;
    now: number;
  }): Promise<EnrollResult> {
    const parts = splitCredential(request.secret);
    if (parts === undefined) return { kind: 'refused', reason: 'unknown' };
    return this.db.transaction((): EnrollResult => {
      const secret = this.sql(
        'SELECT hash, expires_at, max_hosts, used, labels FROM enroll_secrets WHERE id = ?',
      ).get(parts.id) as
        | { hash: Buffer; expires_at: number | null; max_hosts: number | null; used: number; labels: string }
        | undefined;
      if (secret === undefined || !secretMatches(parts.secret, secret.hash))
        return { kind: 'refused', reason: 'unknown' };
      if (secret.expires_at !== null && request.now >= secret.expires_at)
        return { kind: 'refused', reason: 'expired' };
      const existing = this.sql('SELECT id FROM hosts WHERE machine_id = ?').get(request.machineId) as
        | { id: string }
        | undefined;
      if (existing === undefined && secret.max_hosts !== null && secret.used >= secret.max_hosts)
        return { kind: 'refused', reason: 'exhausted' };
      const id = existing?.id ?? randomUUID();
      const credential = newCredential(id);
      const labels = JSON.parse(secret.labels) as string[];
      if (existing === undefined) {
        this.sql(
          'INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(id, request.machineId, request.hostname, credential.hash, JSON.stringify(labels), request.now);
        const label = this.sql('INSERT OR IGNORE INTO host_labels (host_id, label) VALUES (?, ?)');
        for (const l of labels) label.run(id, l);
        this.sql('UPDATE enroll_secrets SET used = used + 1 WHERE id = ?').run(parts.id);
      } else {
        // a new token: what the old one reported (a clone's conflict included) is behind it
        this.sql('UPDATE hosts SET hostname = ?, token_hash = ?, conflict = NULL WHERE id = ?').run(
          request.hostname,
          credential.hash,
          id,
        );
      }
      this.event(id, request.now, 'enroll', { hostname: request.hostname, again: existing !== undefined });
      return { kind: 'enrolled', id, token: credential.text };
    })();
  }

  /**
   * Group commit: the reports that arrive while the event loop is busy are written in one
   * transaction, and each promise settles after that commit (so a 2xx answer still means committed).
   * A batch that fails is written again one report per transaction, so one bad report fails alone.
   */
  saveReport(hostId: string, record: ReportRecord): Promise<SaveResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ hostId, record, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.commitQueue());
    });
  }

  private commitQueue(): void {
    const batch = this.queue;
    this.queue = [];
    let results: SaveResult[];
    try {
      results = this.db.transaction(() => batch.map((q) => this.writeReport(q.hostId, q.record)))();
    } catch {
      for (const q of batch) {
        try {
          q.resolve(this.db.transaction(() => this.writeReport(q.hostId, q.record))());
        } catch (error) {
          q.reject(error);
        }
      }
      return;
    }
    for (const [i, q] of batch.entries()) q.resolve(results[i]!);
  }

  /** one report's writes, inside the caller's transaction */
  private writeReport(hostId: string, record: ReportRecord): SaveResult {
    const { report, evaluation, plan, receivedAt } = record;
    const before = this.sql(
      `SELECT seq, boot_id, build_id, previous_boot_id, conflict, release, status, reboot, expires,
         interval_s, last_seen FROM hosts WHERE id = ?`,
    ).get(hostId) as
      | {
          seq: number | null;
          boot_id: string | null;
          build_id: string | null;
          previous_boot_id: string | null;
          conflict: string | null;
          release: string | null;
          status: string;
          reboot: string;
          expires: string | null;
          interval_s: number | null;
          last_seen: number | null;
        }
      | undefined;
    if (before === undefined) throw new Error(`no host ${hostId}`);
    const conflict = cloneConflict(
      { seq: before.seq, bootId: before.boot_id, previousBootId: before.previous_boot_id },
      report,
    );
    if (conflict !== undefined) {
      this.sql('UPDATE hosts SET conflict = COALESCE(conflict, ?) WHERE id = ?').run(conflict, hostId);
      if (before.conflict === null)
        this.event(hostId, receivedAt, 'conflict', {
          reason: conflict,
          seq: report.seq,
          bootId: report.bootId,
        });
      return 'conflict';
    }
    if (before.seq !== null && report.seq <= before.seq) return 'stale';
    const buildId = report.buildId?.toLowerCase() ?? null;
    if (before.boot_id !== null && (before.boot_id !== report.bootId || before.build_id !== buildId))
      this.event(hostId, receivedAt, 'boot', {
        bootId: report.bootId,
        buildId,
        previousBootId: before.boot_id,
        previousBuildId: before.build_id,
      });
    const text = JSON.stringify(report);
    // the summary's counts move only when the host's group does (most reports change nothing in it)
    const regroup =
      before.last_seen === null ||
      before.build_id !== buildId ||
      before.release !== (report.status.release ?? null) ||
      before.status !== evaluation.status ||
      before.reboot !== evaluation.reboot ||
      before.expires !== evaluation.expires ||
      before.interval_s !== report.interval;
    if (regroup) this.sql(UNCOUNT).run(hostId);
    this.sql(
      `UPDATE hosts SET seq = ?, boot_id = ?, build_id = ?, release = ?, status = ?, reboot = ?, expires = ?,
           last_seen = ?, interval_s = ?, report = ?, plan = NULL, plan_key = ?, stuck = ?, fingerprint = ?,
           previous_boot_id = CASE WHEN boot_id IS NOT NULL AND boot_id <> ? THEN boot_id ELSE previous_boot_id END
           WHERE id = ?`,
    ).run(
      report.seq,
      report.bootId,
      buildId,
      report.status.release ?? null,
      evaluation.status,
      evaluation.reboot,
      evaluation.expires,
      receivedAt,
      report.interval,
      text,
      this.sharePlan(planTextOf(plan)),
      isStuck(report.status) ? 1 : 0,
      record.fingerprint ?? reportFingerprint(report),
      report.bootId,
      hostId,
    );
    if (regroup) this.sql(COUNT).run(hostId);
    this.sql('INSERT INTO report_history (host_id, seq, received_at, report) VALUES (?, ?, ?, ?)').run(
      hostId,
      report.seq,
      receivedAt,
      text,
    );
    this.sql(
      `DELETE FROM report_history WHERE host_id = ? AND seq NOT IN
           (SELECT seq FROM report_history WHERE host_id = ? ORDER BY seq DESC LIMIT ?)`,
    ).run(hostId, hostId, HISTORY_PER_HOST);
    return 'stored';
  }

  async hostPlan(hostId: string): Promise<FleetPlan | null | undefined> {
    const row = this.sql(`SELECT ${PLAN_COLUMN} FROM hosts WHERE id = ?`).get(hostId) as
      | { plan: string | null }
      | undefined;
    if (row === undefined) return undefined;
    return row.plan === null ? null : (JSON.parse(row.plan) as FleetPlan);
  }

  async host(hostId: string): Promise<HostDetail | undefined> {
    const row = this.sql(`SELECT ${HOST_COLUMNS}, report, ${PLAN_COLUMN} FROM hosts WHERE id = ?`).get(
      hostId,
    ) as (HostColumns & { report: string | null; plan: string | null }) | undefined;
    if (row === undefined) return undefined;
    const events = this.sql(
      'SELECT at, kind, detail FROM host_events WHERE host_id = ? ORDER BY at DESC, rowid DESC LIMIT ?',
    ).all(hostId, EVENTS_SHOWN) as Array<{ at: number; kind: string; detail: string }>;
    return {
      host: rowOf(row),
      report: row.report === null ? null : (JSON.parse(row.report) as Report),
      plan: row.plan === null ? null : (JSON.parse(row.plan) as FleetPlan),
      events: events.map((e) => ({
        at: new Date(e.at).toISOString(),
        kind: e.kind,
        detail: JSON.parse(e.detail),
      })),
    };
  }

  async listHosts(filter: HostFilter, now: number): Promise<{ hosts: HostRow[]; nextAfter: string | null }> {
    const { sql, params } = hostListQuery('sqlite', HOST_COLUMNS, filter, now, this.searchPlan(filter));
    const { page, nextAfter } = pageOf(this.sql(sql).all(...params) as HostColumns[], filter.limit);
    return { hosts: page.map(rowOf), nextAfter };
  }

  /**
   * A search reads its index when that matches few hosts (a count that stops past the limit), and
   * scans the list in its order otherwise (src/store/host-list.ts SearchPlan).
   */
  private searchPlan(filter: HostFilter): SearchPlan | undefined {
    const text = filter.search?.toLowerCase() ?? '';
    if (text === '') return undefined;
    const limit = this.searchIndexLimit + 1;
    if (filter.searchMode === 'substring') {
      if ([...text].length < TRIGRAM) return 'scan';
      const { n } = this.sql(
        'SELECT COUNT(*) AS n FROM (SELECT 1 FROM hosts_search WHERE hosts_search MATCH ? LIMIT ?)',
      ).get(ftsPhrase(text), limit) as { n: number };
      return n < limit ? 'index' : 'scan';
    }
    // the prefix search alone, unordered: the planner reads its two indexes and stops at the limit
    const { sql, params } = hostListQuery('sqlite', '1', { labels: [], limit: 0, search: text }, 0, 'index');
    const unordered = sql.replace(/ ORDER BY .*$/, ' LIMIT ?');
    const { n } = this.sql(`SELECT COUNT(*) AS n FROM (${unordered})`).get(...params.slice(0, -1), limit) as {
      n: number;
    };
    return n < limit ? 'index' : 'scan';
  }

  async sessionKey(): Promise<Buffer> {
    this.sql('INSERT OR IGNORE INTO dashboard_keys (id, key, created_at) VALUES (?, ?, ?)').run(
      'session',
      randomBytes(32),
      Date.now(),
    );
    return (this.sql('SELECT key FROM dashboard_keys WHERE id = ?').get('session') as { key: Buffer }).key;
  }

  async summaryHosts(now?: number): Promise<SummaryHost[]> {
    if (now !== undefined) {
      // The counts kept as hosts change (host_counts), less the silent hosts, which are counted
      // here over the index of when each falls silent: a read of the groups and of the silent
      // hosts only, not of every host.
      const silent = this.sql(
        `SELECT COALESCE(build_id, '') AS build_id, COALESCE(release, '') AS release, status, reboot,
           COALESCE(expires, '') AS expires, COALESCE(interval_s, -1) AS interval_s, COUNT(*) AS hosts,
           MIN(last_seen) AS last_seen
           FROM hosts WHERE last_seen + 2000 * interval_s < ?
           GROUP BY 1, 2, 3, 4, 5, 6`,
      ).all(now) as Array<SummaryColumns & { hosts: number }>;
      const key = (r: SummaryColumns) =>
        JSON.stringify([r.build_id, r.release, r.status, r.reboot, r.expires, r.interval_s]);
      const silentBy = new Map(silent.map((r) => [key(r), r]));
      const out: SummaryHost[] = [];
      const group = (r: SummaryColumns & { hosts: number }, lastSeen: number) => ({
        ...summaryHostOf({
          ...r,
          build_id: r.build_id === '' ? null : r.build_id,
          release: r.release === '' ? null : r.release,
          expires: r.expires === '' ? null : r.expires,
          last_seen: lastSeen,
        }),
        interval: r.interval_s,
        hosts: r.hosts,
      });
      const counts = this.sql(
        'SELECT build_id, release, status, reboot, expires, interval_s, hosts FROM host_counts WHERE hosts > 0 ORDER BY rowid',
      ).all() as Array<SummaryColumns & { hosts: number }>;
      for (const c of counts) {
        const s = silentBy.get(key(c));
        const fresh = c.hosts - (s?.hosts ?? 0);
        // seen now: not silent, whatever its interval
        if (fresh > 0) out.push(group({ ...c, hosts: fresh }, now));
        if (s !== undefined) out.push(group(s, s.last_seen));
      }
      return out;
    }
    const rows = this.sql(
      'SELECT build_id, release, status, reboot, expires, last_seen, interval_s FROM hosts WHERE last_seen IS NOT NULL',
    ).all() as SummaryColumns[];
    return rows.map(summaryHostOf);
  }

  async saveEvent(
    hostId: string,
    event: { at: number; kind: string; detail: Readonly<Record<string, unknown>> },
  ): Promise<void> {
    this.event(hostId, event.at, event.kind, event.detail);
  }

  async reportPage(after: string | null, limit: number): Promise<Array<{ hostId: string; report: Report }>> {
    const rows = this.sql(
      'SELECT id, report FROM hosts WHERE report IS NOT NULL AND id > ? ORDER BY id LIMIT ?',
    ).all(after ?? '', limit) as Array<{ id: string; report: string }>;
    return rows.map((r) => ({ hostId: r.id, report: JSON.parse(r.report) as Report }));
  }

  async saveAssessments(assessments: ReadonlyArray<Assessment>): Promise<void> {
    const update = this.sql(
      `UPDATE hosts SET status = ?, reboot = ?, expires = ?, plan = NULL, plan_key = ?,
         fingerprint = COALESCE(?, fingerprint) WHERE id = ? AND seq = ?`,
    );
    const uncount = this.sql(UNCOUNT);
    const count = this.sql(COUNT);
    this.db.transaction(() => {
      for (const a of assessments) {
        uncount.run(a.hostId);
        update.run(
          a.evaluation.status,
          a.evaluation.reboot,
          a.evaluation.expires,
          this.sharePlan(planTextOf(a.plan)),
          a.fingerprint ?? null,
          a.hostId,
          a.seq,
        );
        count.run(a.hostId);
      }
    })();
  }

  async unfingerprintedPage(
    after: string | null,
    limit: number,
  ): Promise<Array<{ hostId: string; report: Report }>> {
    // over hosts_fingerprint: its NULL range, in id order
    const rows = this.sql(
      `SELECT id, report FROM hosts INDEXED BY hosts_fingerprint
         WHERE fingerprint IS NULL AND id > ? AND report IS NOT NULL ORDER BY fingerprint, id LIMIT ?`,
    ).all(after ?? '', limit) as Array<{ id: string; report: string }>;
    return rows.map((r) => ({ hostId: r.id, report: JSON.parse(r.report) as Report }));
  }

  async hostReports(ids: ReadonlyArray<string>): Promise<Array<{ hostId: string; report: Report }>> {
    const rows = this.sql(
      'SELECT id, report FROM hosts WHERE id IN (SELECT value FROM json_each(?)) AND report IS NOT NULL ORDER BY id',
    ).all(JSON.stringify(ids)) as Array<{ id: string; report: string }>;
    return rows.map((r) => ({ hostId: r.id, report: JSON.parse(r.report) as Report }));
  }

  async fingerprintGroups(): Promise<FingerprintGroup[]> {
    const fingerprints = this.sql(DISTINCT_FINGERPRINTS).all() as Array<{ fp: string }>;
    const first = this.sql('SELECT id, report FROM hosts WHERE fingerprint = ? ORDER BY id LIMIT 1');
    const groups: FingerprintGroup[] = [];
    for (const { fp } of fingerprints) {
      const row = first.get(fp) as { id: string; report: string } | undefined;
      if (row !== undefined)
        groups.push({ fingerprint: fp, hostId: row.id, report: JSON.parse(row.report) as Report });
    }
    return groups;
  }

  async saveGroupAssessments(
    groups: ReadonlyArray<GroupAssessment>,
    except: ReadonlyArray<string>,
  ): Promise<{ hosts: number; rewritten: number }> {
    const skip = JSON.stringify(except);
    const count = this.sql(
      'SELECT COUNT(*) AS n FROM hosts WHERE fingerprint = ? AND id NOT IN (SELECT value FROM json_each(?))',
    );
    // The answers go in a table of this connection; one UPDATE then writes them all in one pass over
    // the hosts in their stored order (`+fingerprint` keeps it off the index: by index, each
    // group's rows would be visited apart, every page of the table once per group). A row whose
    // answer is its group's already is left alone, so a change that moves a few builds writes the
    // hosts of those builds only.
    this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS reevaluation_answers (
      fingerprint TEXT PRIMARY KEY, status TEXT NOT NULL, reboot TEXT NOT NULL, expires TEXT, plan_key TEXT NOT NULL)`);
    const answer = this.sql(
      'INSERT INTO temp.reevaluation_answers (fingerprint, status, reboot, expires, plan_key) VALUES (?, ?, ?, ?, ?)',
    );
    const update = this.sql(
      `UPDATE hosts SET (status, reboot, expires, plan, plan_key) = (SELECT a.status, a.reboot, a.expires, NULL, a.plan_key
           FROM temp.reevaluation_answers a WHERE a.fingerprint = hosts.fingerprint)
         WHERE +fingerprint IN (SELECT fingerprint FROM temp.reevaluation_answers)
           AND id NOT IN (SELECT value FROM json_each(?))
           AND NOT EXISTS (SELECT 1 FROM temp.reevaluation_answers a WHERE a.fingerprint = hosts.fingerprint
             AND a.status = hosts.status AND a.reboot = hosts.reboot AND a.expires IS hosts.expires
             AND a.plan_key IS hosts.plan_key AND hosts.plan IS NULL)`,
    );
    return this.db.transaction(() => {
      this.db.exec('DELETE FROM temp.reevaluation_answers');
      let hosts = 0;
      for (const g of groups) {
        answer.run(
          g.fingerprint,
          g.evaluation.status,
          g.evaluation.reboot,
          g.evaluation.expires,
          this.sharePlan(planTextOf(g.plan)),
        );
        hosts += (count.get(g.fingerprint, skip) as { n: number }).n;
      }
      const rewritten = groups.length === 0 ? 0 : update.run(skip).changes;
      this.db.exec('DELETE FROM temp.reevaluation_answers');
      // the summary's counts, counted afresh over hosts_summary once rows moved between groups
      if (rewritten > 0) this.db.exec(RECOUNT);
      return { hosts, rewritten };
    })();
  }

  async labelledHosts(label: string): Promise<string[]> {
    return (
      this.sql('SELECT host_id FROM host_labels WHERE label = ? ORDER BY host_id').all(label) as Array<{
        host_id: string;
      }>
    ).map((r) => r.host_id);
  }

  /** the plan's key, its text stored in shared_plans first when it is not there */
  private sharePlan(plan: PlanText): string {
    if (!this.sharedPlans.has(plan.key)) {
      this.sql('INSERT OR IGNORE INTO shared_plans (key, plan) VALUES (?, ?)').run(plan.key, plan.text);
      if (this.sharedPlans.size >= 10_000) this.sharedPlans.clear();
      this.sharedPlans.add(plan.key);
    }
    return plan.key;
  }

  async listTokens(): Promise<TokenInfo[]> {
    const rows = this.db
      .prepare('SELECT id, role, created_at FROM api_tokens ORDER BY created_at, id')
      .all() as Array<{
      id: string;
      role: Role;
      created_at: number;
    }>;
    return rows.map((r) => ({ id: r.id, role: r.role, createdAt: new Date(r.created_at).toISOString() }));
  }

  async revokeToken(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes > 0;
  }

  async listEnrollSecrets(): Promise<EnrollSecretInfo[]> {
    const rows = this.db
      .prepare(
        'SELECT id, expires_at, max_hosts, used, labels, created_at FROM enroll_secrets ORDER BY created_at, id',
      )
      .all() as SecretColumns[];
    return rows.map(secretInfoOf);
  }

  async revokeEnrollSecret(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM enroll_secrets WHERE id = ?').run(id).changes > 0;
  }

  async deleteHost(id: string): Promise<boolean> {
    // labels, history and events go with it (ON DELETE CASCADE, foreign keys are on)
    return this.db.transaction(() => {
      this.sql(UNCOUNT).run(id);
      return this.db.prepare('DELETE FROM hosts WHERE id = ?').run(id).changes > 0;
    })();
  }

  async ready(): Promise<boolean> {
    return this.sql('SELECT 1 AS ok').get() !== undefined;
  }

  async close(): Promise<void> {
    if (this.queue.length > 0) this.commitQueue();
    this.db.close();
  }

  private event(hostId: string, at: number, kind: string, detail: Readonly<Record<string, unknown>>): void {
    this.sql('INSERT INTO host_events (host_id, at, kind, detail) VALUES (?, ?, ?, ?)').run(
      hostId,
      at,
      kind,
      JSON.stringify(detail),
    );
  }
}
