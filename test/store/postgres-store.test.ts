import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FleetPlan, reportSchema } from '../../src/fleet/index.js';
import { InputError } from '../../src/input/index.js';
import {
  type FleetStore,
  isPostgresUrl,
  migrations,
  openPostgresStore,
  openStore,
  redactUrl,
} from '../../src/store/index.js';
import { reportBody } from '../support/fleet-fixtures.js';
import { describePostgres, findPostgresProblem, freshSchema, type TestSchema } from '../support/postgres.js';

const PLAN: FleetPlan = {
  outcome: 'planned',
  reason: '',
  sets: [],
  steps: [],
  planHash: 'h'.repeat(64),
  offered: { format: 'klpm-repository-index', version: 1, updates: [] },
};

describe('openStore', () => {
  it('takes a postgres:// or postgresql:// URL as PostgreSQL, anything else as a SQLite file', async () => {
    expect(isPostgresUrl('postgres://u:p@127.0.0.1/db')).toBe(true);
    expect(isPostgresUrl('PostgreSQL://127.0.0.1/db')).toBe(true);
    expect(isPostgresUrl('/var/lib/klpm/fleet.db')).toBe(false);
    expect(isPostgresUrl('postgres.db')).toBe(false);
    const file = join(mkdtempSync(join(tmpdir(), 'klpm-open-')), 'fleet.db');
    const store = await openStore(file);
    expect(await store.ready()).toBe(true);
    await store.close();
  });

  it('names the database without its password when it cannot be reached', async () => {
    // port 1 on loopback: nothing listens, the refusal is immediate
    const error = await openStore('postgres://klpm:s3cret-pw@127.0.0.1:1/fleet').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain('postgres://klpm:***@127.0.0.1:1/fleet');
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret-pw');
    expect(redactUrl('postgresql://a:b%40c@h:5432/d?sslmode=require')).toBe(
      'postgresql://a:***@h:5432/d?sslmode=require',
    );
    expect(redactUrl('postgres://h/d')).toBe('postgres://h/d');
  });
});

const problem = await findPostgresProblem();

describePostgres('two servers on one PostgreSQL', problem, () => {
  let schema: TestSchema | undefined;
  const stores: FleetStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await schema?.drop();
    schema = undefined;
  });

  it('migrate at the same time without failing, and apply each migration once', async () => {
    schema = await freshSchema();
    const url = schema.url;
    stores.push(...(await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url)))));
    const applied = await schema.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(applied.map((r) => r.version).sort()).toEqual(migrations.map((m) => m.version));
    // a later start finds nothing to do
    stores.push(await openPostgresStore(url));
    expect(await stores[4]!.ready()).toBe(true);
  });

  it('keep the highest seq of one host when both store its reports at once', async () => {
    schema = await freshSchema();
    const url = schema.url;
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    stores.push(a!, b!);
    const secret = await a!.createEnrollSecret({ labels: [] });
    const host = await b!.enroll({ secret, machineId: '1'.repeat(32), hostname: 'h', now: 0 });
    if (host.kind !== 'enrolled') throw new Error('not enrolled');
    // 40 reports, in an order where later seqs often arrive first, half through each server
    const seqs = Array.from({ length: 40 }, (_, i) => i + 1).sort((x, y) => ((x * 7) % 13) - ((y * 7) % 13));
    const outcomes = await Promise.all(
      seqs.map((seq, i) =>
        (i % 2 === 0 ? a! : b!).saveReport(host.id, {
          report: reportSchema.parse(reportBody({ seq })),
          evaluation: { status: 'supported', reboot: 'no', expires: null, answers: [] },
          plan: { ...PLAN, planHash: String(seq % 10).repeat(64) },
          receivedAt: seq,
        }),
      ),
    );
    expect(outcomes).toContain('stored');
    const detail = await a!.host(host.id);
    expect(detail?.report?.seq).toBe(40);
    expect(detail?.plan?.planHash).toBe('0'.repeat(64));
    expect(detail?.host.lastSeen).toBe(new Date(40).toISOString());
    const history = await schema.query<{ seq: string }>('SELECT seq FROM report_history ORDER BY seq');
    // every stored report is in the history (up to its bound), and none above the latest
    expect(history.map((r) => Number(r.seq))).toContain(40);
    expect(history.length).toBe(Math.min(outcomes.filter((o) => o === 'stored').length, 20));
    // the same seq again, through either server, is stale
    expect(
      await b!.saveReport(host.id, {
        report: reportSchema.parse(reportBody({ seq: 40 })),
        evaluation: { status: 'unknown', reboot: 'no', expires: null, answers: [] },
        plan: PLAN,
        receivedAt: 99,
      }),
    ).toBe('stale');
  });

  it('enroll one machine once when it enrolls through both at once', async () => {
    schema = await freshSchema();
    const url = schema.url;
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    stores.push(a!, b!);
    const secret = await a!.createEnrollSecret({ maxHosts: 1, labels: ['site:ams1'] });
    const results = await Promise.all(
      [a!, b!, a!, b!].map((s, i) =>
        s.enroll({ secret, machineId: '2'.repeat(32), hostname: `h${i}`, now: i }),
      ),
    );
    const ids = new Set(results.map((r) => (r.kind === 'enrolled' ? r.id : r.reason)));
    expect(ids.size).toBe(1);
    const hosts = await schema.query<{ id: string }>('SELECT id FROM hosts');
    expect(hosts.length).toBe(1);
    // the host limit held: another machine is refused
    expect(await b!.enroll({ secret, machineId: '3'.repeat(32), hostname: 'x', now: 9 })).toEqual({
      kind: 'refused',
      reason: 'exhausted',
    });
  });
});
