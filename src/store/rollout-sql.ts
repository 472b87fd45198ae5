import type {
  Candidate,
  HostChange,
  Membership,
  Pin,
  PinKey,
  Report,
  Rollout,
  RolloutHost,
} from '../fleet/index.js';
import type { AuditEntry, RolloutStore, WebhookDelivery } from './fleet-store.js';
import { type RolloutHostColumns, rolloutHostOf } from './rows.js';

/**
 * The statements of the rollouts' tables, written once for both engines: `?` placeholders, and
 * only SQL that SQLite and PostgreSQL both read (`ON CONFLICT`). An engine runs them.
 */
export interface SqlConn {
  all<T>(sql: string, params: ReadonlyArray<unknown>): Promise<T[]>;
  /** the number of rows changed */
  run(sql: string, params: ReadonlyArray<unknown>): Promise<number>;
}

/** How many rows one multi-row INSERT carries (PostgreSQL takes up to 65,535 parameters). */
const BATCH = 500;
const ACTIVE = "('running', 'halted', 'paused')";

const HOST_SELECT = `SELECT rh.host_id, rh.wave, rh.build_id, rh.from_to, rh.plan_given_at, rh.applied_at,
  rh.failed_at, rh.reason, rh.acknowledged, h.last_seen, h.interval_s
  FROM rollout_hosts rh LEFT JOIN hosts h ON h.id = rh.host_id`;

export class RolloutSql implements RolloutStore {
  readonly #conn: SqlConn;
  readonly #transaction: <T>(work: (c: SqlConn) => Promise<T>) => Promise<T>;
  readonly #lockCreation: (c: SqlConn) => Promise<void>;

  /**
   * `lockCreation` serializes rollout creation between servers (PostgreSQL: an advisory lock;
   * SQLite has one writer)
   */
  constructor(
    conn: SqlConn,
    transaction: <T>(work: (c: SqlConn) => Promise<T>) => Promise<T>,
    lockCreation: (c: SqlConn) => Promise<void>,
  ) {
    this.#conn = conn;
    this.#transaction = transaction;
    this.#lockCreation = lockCreation;
  }

  createRollout(rollout: Rollout, hosts: ReadonlyArray<RolloutHost>): Promise<'created' | 'conflict'> {
    return this.#transaction(async (c) => {
      await this.#lockCreation(c);
      const active = await c.all(
        `SELECT id FROM rollouts WHERE component = ? AND replace_set = ? AND state IN ${ACTIVE}`,
        [rollout.component, rollout.replaceSet],
      );
      if (active.length > 0) return 'conflict';
      await c.run(
        'INSERT INTO rollouts (id, component, replace_set, state, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)',
        [
          rollout.id,
          rollout.component,
          rollout.replaceSet,
          rollout.state,
          rollout.createdAt,
          JSON.stringify(rollout),
        ],
      );
      for (let i = 0; i < hosts.length; i += BATCH) {
        const slice = hosts.slice(i, i + BATCH);
        await c.run(
          `INSERT INTO rollout_hosts (rollout_id, host_id, wave, build_id, from_to, applied_at) VALUES ${slice
            .map(() => '(?, ?, ?, ?, ?, ?)')
            .join(', ')}`,
          slice.flatMap((h) => [rollout.id, h.hostId, h.wave, h.buildId, h.fromTo, h.appliedAt]),
        );
      }
      return 'created';
    });
  }

  async saveRollout(rollout: Rollout): Promise<void> {
    await this.#conn.run('UPDATE rollouts SET state = ?, doc = ? WHERE id = ?', [
      rollout.state,
      JSON.stringify(rollout),
      rollout.id,
    ]);
  }

  async listRollouts(): Promise<Rollout[]> {
    const rows = await this.#conn.all<{ doc: string }>(
      'SELECT doc FROM rollouts ORDER BY created_at DESC, id',
      [],
    );
    return rows.map((r) => JSON.parse(r.doc) as Rollout);
  }

  async rollout(id: string): Promise<Rollout | undefined> {
    const rows = await this.#conn.all<{ doc: string }>('SELECT doc FROM rollouts WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].doc) as Rollout);
  }

  async rolloutHosts(id: string, waves?: ReadonlyArray<number>): Promise<RolloutHost[]> {
    const only = waves === undefined ? '' : ` AND rh.wave IN (${waves.map(() => '?').join(', ') || 'NULL'})`;
    const rows = await this.#conn.all<RolloutHostColumns>(
      `${HOST_SELECT} WHERE rh.rollout_id = ?${only} ORDER BY rh.host_id`,
      [id, ...(waves ?? [])],
    );
    return rows.map(rolloutHostOf);
  }

  async rolloutHost(id: string, hostId: string): Promise<RolloutHost | undefined> {
    const rows = await this.#conn.all<RolloutHostColumns>(
      `${HOST_SELECT} WHERE rh.rollout_id = ? AND rh.host_id = ?`,
      [id, hostId],
    );
    return rows[0] === undefined ? undefined : rolloutHostOf(rows[0]);
  }

  async hostRollouts(hostId: string): Promise<{ labels: string[]; memberships: Membership[] } | undefined> {
    const host = await this.#conn.all<{ labels: string }>('SELECT labels FROM hosts WHERE id = ?', [hostId]);
    if (host[0] === undefined) return undefined;
    const rows = await this.#conn.all<{ rollout_id: string; wave: number; from_to: string | null }>(
      'SELECT rollout_id, wave, from_to FROM rollout_hosts WHERE host_id = ?',
      [hostId],
    );
    return {
      labels: JSON.parse(host[0].labels) as string[],
      memberships: rows.map((r) => ({ rolloutId: r.rollout_id, wave: Number(r.wave), fromTo: r.from_to })),
    };
  }

  async addRolloutHost(id: string, h: RolloutHost): Promise<void> {
    await this.#conn.run(
      `INSERT INTO rollout_hosts (rollout_id, host_id, wave, build_id, from_to, applied_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (rollout_id, host_id) DO NOTHING`,
      [id, h.hostId, h.wave, h.buildId, h.fromTo, h.appliedAt],
    );
  }

  async updateRolloutHost(id: string, hostId: string, change: HostChange): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (change.planGivenAt !== undefined) {
      sets.push('plan_given_at = COALESCE(plan_given_at, ?)');
      params.push(change.planGivenAt);
    }
    if (change.appliedAt !== undefined) {
      sets.push('applied_at = COALESCE(applied_at, ?)');
      params.push(change.appliedAt);
    }
    if (change.failure !== undefined) {
      // the first failure is the one kept: CASE keeps both columns together
      sets.push('reason = CASE WHEN failed_at IS NULL THEN ? ELSE reason END');
      sets.push('failed_at = COALESCE(failed_at, ?)');
      params.push(change.failure.reason, change.failure.at);
    }
    if (sets.length === 0) return;
    await this.#conn.run(`UPDATE rollout_hosts SET ${sets.join(', ')} WHERE rollout_id = ? AND host_id = ?`, [
      ...params,
      id,
      hostId,
    ]);
  }

  async acknowledgeFailures(id: string): Promise<void> {
    await this.#conn.run(
      'UPDATE rollout_hosts SET acknowledged = 1 WHERE rollout_id = ? AND failed_at IS NOT NULL',
      [id],
    );
  }

  async rolloutCandidates(after: string | null, limit: number): Promise<Candidate[]> {
    const rows = await this.#conn.all<{
      id: string;
      labels: string;
      build_id: string | null;
      report: string;
    }>(
      'SELECT id, labels, build_id, report FROM hosts WHERE report IS NOT NULL AND id > ? ORDER BY id LIMIT ?',
      [after ?? '', limit],
    );
    return rows.map((r) => ({
      hostId: r.id,
      labels: JSON.parse(r.labels) as string[],
      buildId: r.build_id,
      status: (JSON.parse(r.report) as Report).status,
    }));
  }

  async putPin(pin: Pin): Promise<void> {
    const [kind, target] = 'host' in pin.target ? ['host', pin.target.host] : ['label', pin.target.label];
    await this.#conn.run(
      `INSERT INTO pins (target_kind, target, component, replace_set, to_version, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (target_kind, target, component, replace_set)
       DO UPDATE SET to_version = excluded.to_version, created_at = excluded.created_at, created_by = excluded.created_by`,
      [kind, target, pin.component, pin.replaceSet, pin.to, Date.parse(pin.createdAt), pin.createdBy],
    );
  }

  async listPins(): Promise<Pin[]> {
    const rows = await this.#conn.all<{
      target_kind: string;
      target: string;
      component: string;
      replace_set: number;
      to_version: string;
      created_at: number;
      created_by: string;
    }>('SELECT * FROM pins ORDER BY target_kind, target, component, replace_set', []);
    return rows.map((r) => ({
      target: r.target_kind === 'host' ? { host: r.target } : { label: r.target },
      component: r.component,
      replaceSet: Number(r.replace_set),
      to: r.to_version,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      createdBy: r.created_by,
    }));
  }

  async deletePin(key: PinKey): Promise<boolean> {
    const [kind, target] = key.host !== undefined ? ['host', key.host] : ['label', key.label];
    return (
      (await this.#conn.run(
        'DELETE FROM pins WHERE target_kind = ? AND target = ? AND component = ? AND replace_set = ?',
        [kind, target, key.component, key.replaceSet],
      )) > 0
    );
  }

  async addAudit(entry: {
    at: number;
    who: string;
    action: string;
    target: string;
    detail: Record<string, unknown>;
  }): Promise<void> {
    await this.#conn.run('INSERT INTO audit_log (at, who, action, target, detail) VALUES (?, ?, ?, ?, ?)', [
      entry.at,
      entry.who,
      entry.action,
      entry.target,
      JSON.stringify(entry.detail),
    ]);
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const rows = await this.#conn.all<{
      at: number;
      who: string;
      action: string;
      target: string;
      detail: string;
    }>('SELECT at, who, action, target, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT ?', [limit]);
    return rows.map((r) => ({
      at: new Date(Number(r.at)).toISOString(),
      who: r.who,
      action: r.action,
      target: r.target,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  async addDelivery(d: {
    eventId: string;
    url: string;
    kind: string;
    body: string;
    now: number;
  }): Promise<boolean> {
    return (
      (await this.#conn.run(
        `INSERT INTO webhook_deliveries (event_id, url, kind, body, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id, url) DO NOTHING`,
        [d.eventId, d.url, d.kind, d.body, d.now, d.now],
      )) > 0
    );
  }

  async dueDeliveries(now: number, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.#conn.all<{
      event_id: string;
      url: string;
      kind: string;
      body: string;
      attempts: number;
    }>(
      `SELECT event_id, url, kind, body, attempts FROM webhook_deliveries
       WHERE delivered_at IS NULL AND next_at <= ? ORDER BY next_at LIMIT ?`,
      [now, limit],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      url: r.url,
      kind: r.kind,
      body: r.body,
      attempts: Number(r.attempts),
    }));
  }

  async markDelivery(
    eventId: string,
    url: string,
    result: { delivered: true; at: number } | { delivered: false; nextAt: number; error: string },
  ): Promise<void> {
    if (result.delivered)
      await this.#conn.run(
        'UPDATE webhook_deliveries SET delivered_at = ?, attempts = attempts + 1 WHERE event_id = ? AND url = ?',
        [result.at, eventId, url],
      );
    else
      await this.#conn.run(
        'UPDATE webhook_deliveries SET next_at = ?, last_error = ?, attempts = attempts + 1 WHERE event_id = ? AND url = ?',
        [result.nextAt, result.error.slice(0, 512), eventId, url],
      );
  }
}
