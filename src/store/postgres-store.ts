import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import {
  cloneConflict,
  type FleetPlan,
  type HostFilter,
  isStuck,
  type Report,
  type SummaryHost,
} from '../fleet/index.js';
import { InputError } from '../input/index.js';
import { newCredential, secretMatches, splitCredential, withCredentialId } from './credentials.js';
import type {
  Assessment,
  EnrollResult,
  EnrollSecretInfo,
  EnrollTerms,
  FleetStore,
  HostDetail,
  HostRow,
  Principal,
  ReportRecord,
  Role,
  SaveResult,
  TokenInfo,
} from './fleet-store.js';
import { hostListQuery, pageOf } from './host-list.js';
import { EVENTS_SHOWN, HISTORY_PER_HOST, migrations } from './migrations.js';
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

/**
 * The advisory lock that orders migrations between servers sharing one database:
 * `pg_advisory_lock(KLPM, MIGRATIONS)`. The first key is "klpm" in ASCII; the second names the job.
 */
const ADVISORY_KLPM = 0x6b6c706d;
const ADVISORY_MIGRATIONS = 1;
/** held by the server that re-evaluates every host after a repository change */
const ADVISORY_REEVALUATION = 2;
/** rate windows older than this are swept now and then */
const RATE_SWEEP_EVERY = 10_000;
const ADVISORY_ROLLOUTS = 3;
/** int8 (a BIGINT column); node-postgres hands it over as a string unless told otherwise */
const INT8_OID = 20;

/** Whether `db` names a PostgreSQL database (a `postgres://` or `postgresql://` URL) rather than a file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
  }
}

/**
 * Opens the PostgreSQL fleet database at `url` (a libpq-style URL: `?options=-c search_path=S`
 * picks a schema, `sslmode` works) and applies the migrations it lacks, under an advisory lock so
 * servers starting together apply each once.
 */
export async function openPostgresStore(url: string): Promise<FleetStore> {
  const { default: pg } = await import('pg');
  const int8 = (text: string) => Number(text);
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? int8
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that breaks (the server restarts) must not take the process down: the next
  // query gets a new connection, and readyz says no meanwhile.
  pool.on('error', () => {});
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw new InputError(
      `cannot open the fleet database: ${scrub((error as Error).message, url)}`,
      redactUrl(url),
    );
  }
  return new PostgresStore(pool);
}

/** An error message without the URL's password, should a driver ever repeat it. */
function scrub(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {}
  return password === '' ? message : message.split(password).join('***');
}

async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // A session lock: held across the migrations' own transactions, and let go by the server if
    // this process dies holding it.
    await client.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_KLPM, ADVISORY_MIGRATIONS]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
      const applied = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql('postgres'));
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_KLPM, ADVISORY_MIGRATIONS]);
    }
  } finally {
    client.release();
  }
}

/** `?` placeholders as PostgreSQL's `$1`, `$2`… (the rollouts' statements are written once, with `?`) */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The rollouts' statements on PostgreSQL: the pool, or one client inside a transaction. */
function postgresRunner(pool: Pool): ConstructorParameters<typeof RolloutSql> {
  const over = (q: Pool | PoolClient): SqlConn => ({
    all: async <T>(sql: string, params: ReadonlyArray<unknown>) =>
      (await q.query(numbered(sql), [...params])).rows as T[],
    run: async (sql, params) => (await q.query(numbered(sql), [...params])).rowCount ?? 0,
  });
  const transaction = async <T>(work: (c: SqlConn) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(over(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };
  // one rollout is created at a time across servers, so two cannot both find no active one
  const lock = async (c: SqlConn) => {
    await c.all('SELECT pg_advisory_xact_lock(?, ?)', [ADVISORY_KLPM, ADVISORY_ROLLOUTS]);
  };
  return [over(pool), transaction, lock];
}

class PostgresStore extends RolloutSql implements FleetStore {
  constructor(private readonly pool: Pool) {
    super(...postgresRunner(pool));
  }

  async createToken(role: Role): Promise<string> {
    const credential = newCredential();
    await this.pool.query('INSERT INTO api_tokens (id, role, hash, created_at) VALUES ($1, $2, $3, $4)', [
      credential.id,
      role,
      credential.hash,
      Date.now(),
    ]);
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
    await this.pool.query(
      'INSERT INTO enroll_secrets (id, hash, expires_at, max_hosts, labels, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        credential.id,
        credential.hash,
        terms.expires ?? null,
        terms.maxHosts ?? null,
        JSON.stringify(terms.labels),
        Date.now(),
      ],
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
    const api = (
      await this.pool.query<{ role: Role; hash: Buffer }>('SELECT role, hash FROM api_tokens WHERE id = $1', [
        parts.id,
      ])
    ).rows[0];
    if (api !== undefined)
      return secretMatches(parts.secret, api.hash)
        ? { kind: 'role', role: api.role, tokenId: parts.id }
        : undefined;
    const host = (
      await this.pool.query<{ token_hash: Buffer }>('SELECT token_hash FROM hosts WHERE id = $1', [parts.id])
    ).rows[0];
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
    return this.transaction(async (c): Promise<EnrollResult> => {
      // The secret's row lock orders enrollments with one secret across servers, so its host
      // limit holds.
      const secret = (
        await c.query<{
          hash: Buffer;
          expires_at: number | null;
          max_hosts: number | null;
          used: number;
          labels: string;
        }>('SELECT hash, expires_at, max_hosts, used, labels FROM enroll_secrets WHERE id = $1 FOR UPDATE', [
          parts.id,
        ])
      ).rows[0];
      if (secret === undefined || !secretMatches(parts.secret, secret.hash))
        return { kind: 'refused', reason: 'unknown' };
      if (secret.expires_at !== null && request.now >= secret.expires_at)
        return { kind: 'refused', reason: 'expired' };
      const existing = (
        await c.query<{ id: string }>('SELECT id FROM hosts WHERE machine_id = $1', [request.machineId])
      ).rows[0];
      if (existing === undefined && secret.max_hosts !== null && secret.used >= secret.max_hosts)
        return { kind: 'refused', reason: 'exhausted' };
      const labels = JSON.parse(secret.labels) as string[];
      const fresh = newCredential(existing?.id ?? randomUUID());
      // One statement for both cases, so a machine enrolling through two servers at once (with two
      // secrets) ends as one host; `xmax = 0` says the row is new.
      const upserted = (
        await c.query<{ id: string; inserted: boolean }>(
          `INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (machine_id) DO UPDATE SET hostname = EXCLUDED.hostname, token_hash = EXCLUDED.token_hash,
               conflict = NULL
             RETURNING id, (xmax = 0) AS inserted`,
          [fresh.id, request.machineId, request.hostname, fresh.hash, JSON.stringify(labels), request.now],
        )
      ).rows[0]!;
      const credential = withCredentialId(fresh, upserted.id);
      if (upserted.inserted) {
        for (const l of labels)
          await c.query('INSERT INTO host_labels (host_id, label) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
            upserted.id,
            l,
          ]);
        await c.query('UPDATE enroll_secrets SET used = used + 1 WHERE id = $1', [parts.id]);
      }
      await this.event(c, upserted.id, request.now, 'enroll', {
        hostname: request.hostname,
        again: !upserted.inserted,
      });
      return { kind: 'enrolled', id: upserted.id, token: credential.text };
    });
  }

  async saveReport(hostId: string, record: ReportRecord): Promise<SaveResult> {
    const { report, evaluation, plan, receivedAt } = record;
    const buildId = report.buildId?.toLowerCase() ?? null;
    const text = JSON.stringify(report);
    return this.transaction(async (c): Promise<SaveResult> => {
      // The row lock orders this save after any other save of the host (on any server), and the
      // previous boot is read under it.
      const before = (
        await c.query<{
          seq: string | null;
          boot_id: string | null;
          build_id: string | null;
          previous_boot_id: string | null;
          conflict: string | null;
        }>('SELECT seq, boot_id, build_id, previous_boot_id, conflict FROM hosts WHERE id = $1 FOR UPDATE', [
          hostId,
        ])
      ).rows[0];
      if (before === undefined) throw new Error(`no host ${hostId}`);
      const conflict = cloneConflict(
        {
          seq: before.seq === null ? null : Number(before.seq),
          bootId: before.boot_id,
          previousBootId: before.previous_boot_id,
        },
        report,
      );
      if (conflict !== undefined) {
        await c.query('UPDATE hosts SET conflict = COALESCE(conflict, $1) WHERE id = $2', [conflict, hostId]);
        if (before.conflict === null)
          await this.event(c, hostId, receivedAt, 'conflict', {
            reason: conflict,
            seq: report.seq,
            bootId: report.bootId,
          });
        return 'conflict';
      }
      // The conditional update decides: a later seq of the host wins, an earlier or equal one is stale.
      const updated = await c.query(
        `UPDATE hosts SET seq = $2, boot_id = $3, build_id = $4, release = $5, status = $6, reboot = $7,
           expires = $8, last_seen = $9, interval_s = $10, report = $11, plan = $12, stuck = $13,
           previous_boot_id = CASE WHEN boot_id IS NOT NULL AND boot_id <> $3 THEN boot_id ELSE previous_boot_id END
           WHERE id = $1 AND (seq IS NULL OR seq < $2)`,
        [
          hostId,
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
          JSON.stringify(plan),
          isStuck(report.status) ? 1 : 0,
        ],
      );
      if (updated.rowCount === 0) return 'stale';
      if (before.boot_id !== null && (before.boot_id !== report.bootId || before.build_id !== buildId))
        await this.event(c, hostId, receivedAt, 'boot', {
          bootId: report.bootId,
          buildId,
          previousBootId: before.boot_id,
          previousBuildId: before.build_id,
        });
      await c.query(
        `INSERT INTO report_history (host_id, seq, received_at, report) VALUES ($1, $2, $3, $4)
           ON CONFLICT (host_id, seq) DO NOTHING`,
        [hostId, report.seq, receivedAt, text],
      );
      await c.query(
        `DELETE FROM report_history WHERE host_id = $1 AND seq NOT IN
           (SELECT seq FROM report_history WHERE host_id = $1 ORDER BY seq DESC LIMIT $2)`,
        [hostId, HISTORY_PER_HOST],
      );
      return 'stored';
    });
  }

  async saveEvent(
    hostId: string,
    event: { at: number; kind: string; detail: Readonly<Record<string, unknown>> },
  ): Promise<void> {
    await this.pool.query('INSERT INTO host_events (host_id, at, kind, detail) VALUES ($1, $2, $3, $4)', [
      hostId,
      event.at,
      event.kind,
      JSON.stringify(event.detail),
    ]);
  }

  async reportPage(after: string | null, limit: number): Promise<Array<{ hostId: string; report: Report }>> {
    const rows = (
      await this.pool.query<{ id: string; report: string }>(
        'SELECT id, report FROM hosts WHERE report IS NOT NULL AND id > $1 ORDER BY id LIMIT $2',
        [after ?? '', limit],
      )
    ).rows;
    return rows.map((r) => ({ hostId: r.id, report: JSON.parse(r.report) as Report }));
  }

  async saveAssessments(assessments: ReadonlyArray<Assessment>): Promise<void> {
    await this.transaction(async (c) => {
      // the seq condition keeps a newer answer of a host that reported during the re-evaluation
      for (const a of assessments)
        await c.query(
          'UPDATE hosts SET status = $1, reboot = $2, expires = $3, plan = $4 WHERE id = $5 AND seq = $6',
          [
            a.evaluation.status,
            a.evaluation.reboot,
            a.evaluation.expires,
            JSON.stringify(a.plan),
            a.hostId,
            a.seq,
          ],
        );
    });
  }

  async hostPlan(hostId: string): Promise<FleetPlan | null | undefined> {
    const row = (
      await this.pool.query<{ plan: string | null }>('SELECT plan FROM hosts WHERE id = $1', [hostId])
    ).rows[0];
    if (row === undefined) return undefined;
    return row.plan === null ? null : (JSON.parse(row.plan) as FleetPlan);
  }

  async host(hostId: string): Promise<HostDetail | undefined> {
    const row = (
      await this.pool.query<HostColumns & { report: string | null; plan: string | null }>(
        `SELECT ${HOST_COLUMNS}, report, plan FROM hosts WHERE id = $1`,
        [hostId],
      )
    ).rows[0];
    if (row === undefined) return undefined;
    const events = (
      await this.pool.query<{ at: number; kind: string; detail: string }>(
        'SELECT at, kind, detail FROM host_events WHERE host_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
        [hostId, EVENTS_SHOWN],
      )
    ).rows;
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
    const query = hostListQuery('postgres', HOST_COLUMNS, filter, now);
    let n = 0;
    const sql = query.sql.replace(/\?/g, () => `$${++n}`);
    const rows = (await this.pool.query<HostColumns>(sql, query.params)).rows;
    const { page, nextAfter } = pageOf(rows, filter.limit);
    return { hosts: page.map(rowOf), nextAfter };
  }

  async sessionKey(): Promise<Buffer> {
    await this.pool.query(
      'INSERT INTO dashboard_keys (id, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
      ['session', randomBytes(32), Date.now()],
    );
    return (
      await this.pool.query<{ key: Buffer }>('SELECT key FROM dashboard_keys WHERE id = $1', ['session'])
    ).rows[0]!.key;
  }

  async summaryHosts(now?: number): Promise<SummaryHost[]> {
    if (now !== undefined) {
      const groups = (
        await this.pool.query<SummaryColumns & { hosts: number }>(
          `SELECT build_id, release, status, reboot, expires, interval_s, COUNT(*) AS hosts,
             CASE WHEN last_seen < $1::bigint - 2000::bigint * interval_s THEN MIN(last_seen)
               ELSE MAX(last_seen) END AS last_seen
             FROM hosts WHERE last_seen IS NOT NULL
             GROUP BY build_id, release, status, reboot, expires, interval_s,
               last_seen < $1::bigint - 2000::bigint * interval_s`,
          [now],
        )
      ).rows;
      return groups.map((r) => ({ ...summaryHostOf(r), hosts: r.hosts }));
    }
    const rows = (
      await this.pool.query<SummaryColumns>(
        'SELECT build_id, release, status, reboot, expires, last_seen, interval_s FROM hosts WHERE last_seen IS NOT NULL',
      )
    ).rows;
    return rows.map(summaryHostOf);
  }

  async listTokens(): Promise<TokenInfo[]> {
    const rows = (
      await this.pool.query<{ id: string; role: Role; created_at: number }>(
        'SELECT id, role, created_at FROM api_tokens ORDER BY created_at, id',
      )
    ).rows;
    return rows.map((r) => ({ id: r.id, role: r.role, createdAt: new Date(r.created_at).toISOString() }));
  }

  async revokeToken(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM api_tokens WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async listEnrollSecrets(): Promise<EnrollSecretInfo[]> {
    const rows = (
      await this.pool.query<SecretColumns>(
        'SELECT id, expires_at, max_hosts, used, labels, created_at FROM enroll_secrets ORDER BY created_at, id',
      )
    ).rows;
    return rows.map(secretInfoOf);
  }

  async revokeEnrollSecret(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM enroll_secrets WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async deleteHost(id: string): Promise<boolean> {
    // labels, history and events go with it (ON DELETE CASCADE)
    return ((await this.pool.query('DELETE FROM hosts WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.pool.query('SELECT 1 AS ok')).rows.length === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** runs `work` in one transaction on one connection: committed when it returns, rolled back when it throws */
  private rateTakes = 0;

  async takeRate(key: string, windowMs: number, now: number): Promise<{ start: number; used: number }> {
    // one statement: a window whose time is up starts again at now, else its use is counted
    const row = (
      await this.pool.query<{ start_at: number; used: number }>(
        `INSERT INTO rate_windows (key, start_at, window_ms, used) VALUES ($1, $2, $3, 1)
           ON CONFLICT (key) DO UPDATE SET
             used = CASE WHEN rate_windows.start_at + $3 <= $2 THEN 1 ELSE rate_windows.used + 1 END,
             start_at = CASE WHEN rate_windows.start_at + $3 <= $2 THEN $2 ELSE rate_windows.start_at END,
             window_ms = $3
           RETURNING start_at, used`,
        [key, now, windowMs],
      )
    ).rows[0]!;
    if (++this.rateTakes % RATE_SWEEP_EVERY === 0)
      await this.pool
        .query('DELETE FROM rate_windows WHERE start_at + $1 <= $2', [windowMs, now])
        .catch(() => {});
    return { start: Number(row.start_at), used: Number(row.used) };
  }

  async claimReevaluation(
    hash: string,
  ): Promise<{ done(now: number): Promise<void>; abandon(): Promise<void> } | undefined> {
    const client = await this.pool.connect();
    // A session lock on its own connection: let go when the server dies, so another takes over.
    const locked = (
      await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        ADVISORY_KLPM,
        ADVISORY_REEVALUATION,
      ])
    ).rows[0]?.ok;
    if (locked !== true) {
      client.release();
      return undefined;
    }
    const unlock = async () => {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_KLPM, ADVISORY_REEVALUATION]);
      client.release();
    };
    const recorded = (await client.query<{ hash: string }>('SELECT hash FROM repository_state WHERE id = 1'))
      .rows[0]?.hash;
    if (recorded === hash) {
      await unlock();
      return undefined;
    }
    return {
      done: async (now) => {
        await client.query(
          `INSERT INTO repository_state (id, hash, evaluated_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.hash, evaluated_at = EXCLUDED.evaluated_at`,
          [hash, now],
        );
        await unlock();
      },
      abandon: unlock,
    };
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // a connection that cannot even roll back is closed, not handed to the next caller
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async event(
    client: PoolClient,
    hostId: string,
    at: number,
    kind: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await client.query('INSERT INTO host_events (host_id, at, kind, detail) VALUES ($1, $2, $3, $4)', [
      hostId,
      at,
      kind,
      JSON.stringify(detail),
    ]);
  }
}
