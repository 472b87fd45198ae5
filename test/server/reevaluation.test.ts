import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessReport, type Report, reportSchema } from '../../src/fleet/index.js';
import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openPostgresStore, openSqliteStore } from '../../src/store/index.js';
import {
  OLD_BUILD,
  reportBody,
  repositoryJson,
  supportedRepositoryJson,
  writeRepository,
} from '../support/fleet-fixtures.js';
import { describePostgres, findPostgresProblem, freshSchema, type TestSchema } from '../support/postgres.js';

// A repository change re-evaluates hosts once per report fingerprint (src/fleet reportFingerprint)
// and writes each answer set-based. The oracle is `assessReport` of each host's own report against
// the new repository, host by host: a grouping that put two hosts with different answers together
// (by build ID only, say, or missing the applied livepatch) gives one of them the other's answer.

const NOW = Date.parse('2026-11-22T00:00:00Z');
const TIME = { now: NOW, expiryWindowDays: 30 };

const applied = (version: string) => [
  {
    name: 'lp_a',
    enabled: true,
    transition: false,
    replace: true,
    version,
    objects: [{ name: 'vmlinux', patched: true, funcs: [{ name: 'lp_a_fn', sympos: 0 }] }],
  },
];

/** The fleet: two hosts share a fingerprint (h1, h2: other boot, seq and interval), the rest differ. */
const FLEET: Record<string, ReturnType<typeof reportBody>> = {
  h1: reportBody({ seq: 3 }),
  h2: reportBody({ seq: 7, bootId: 'boot-2', interval: 300 }),
  h3: reportBody({ patches: applied('6.12.117-1.1') }),
  h4: reportBody({ buildId: OLD_BUILD }),
  h5: reportBody({ buildId: null }),
  // stored as before migration 6 (no fingerprint, its plan in its own row): assessed alone
  legacy: reportBody({ seq: 2 }),
  // pinned to lp_a 1: its plan is gated, so it is assessed alone
  pinned: reportBody({ seq: 4 }),
};

interface Engine {
  open(): Promise<FleetStore>;
  /** makes `hostId`'s row look as a row stored before migration 6 */
  unfingerprint(hostId: string, plan: string): Promise<void>;
  close(): Promise<void>;
}

function reevaluationSuite(engine: () => Engine): void {
  let server: RunningServer;
  let store: FleetStore;
  let repoPath = '';
  let admin = '';
  const ids: Record<string, string> = {};

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the API answers untyped JSON
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    store = await engine().open();
    repoPath = writeRepository(supportedRepositoryJson());
    server = await startFleetServer({
      store,
      repoPath,
      host: '127.0.0.1',
      port: 0,
      log: () => {},
      now: () => NOW,
      repoPollMs: 0,
      tickMs: 0,
    });
    admin = await store.createToken('admin');
    const secret = await store.createEnrollSecret({ labels: [] });
    let n = 0;
    for (const [name, body] of Object.entries(FLEET)) {
      const machineId = (++n).toString(16).padStart(32, '0');
      const enrolled = await store.enroll({ secret, machineId, hostname: name, now: NOW });
      if (enrolled.kind !== 'enrolled') throw new Error('not enrolled');
      ids[name] = enrolled.id;
      const sent = await call('POST', `/v1/hosts/${enrolled.id}/report`, enrolled.token, {
        ...body,
        machineId,
      });
      expect(sent.status, name).toBe(200);
    }
    const legacyPlan = await store.hostPlan(ids.legacy!);
    await engine().unfingerprint(ids.legacy!, JSON.stringify(legacyPlan));
    expect(
      (
        await call('PUT', '/v1/pins', admin, {
          host: ids.pinned,
          component: 'kernel',
          replaceSet: 0,
          to: '6.12.117-1.1',
        })
      ).status,
    ).toBeLessThan(300);
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await engine().close();
  });

  it('flips the status and plan of exactly the hosts whose answer changed, each its own', async () => {
    const report = async (name: string) => (await store.host(ids[name]!))!.report as Report;
    const before: Record<string, string> = {};
    for (const name of Object.keys(FLEET)) before[name] = (await store.host(ids[name]!))!.host.status;
    // BUILD becomes end of life in replace set 1, OLD_BUILD gets a livepatch there
    writeFileSync(repoPath, repositoryJson());
    const refreshed = await call('POST', '/v1/repository/refresh', admin);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ changed: true, reevaluated: true, hosts: 7 });
    const index = indexRepository(parseRepositoryIndex(repositoryJson(), repoPath));
    const counts: Record<string, number> = {};
    for (const name of Object.keys(FLEET)) {
      const detail = (await store.host(ids[name]!))!;
      const expected = assessReport(reportSchema.parse(await report(name)), index, TIME);
      expect(detail.host.status, name).toBe(expected.evaluation.status);
      counts[detail.host.status] = (counts[detail.host.status] ?? 0) + 1;
      if (name === 'pinned') continue;
      expect(JSON.stringify(await store.hostPlan(ids[name]!)), name).toBe(JSON.stringify(expected.plan));
    }
    // the change moved statuses (the test is about something)
    expect(before.h1).toBe('supported');
    expect(counts['kernel-end-of-life']).toBeGreaterThan(0);
    // h3 has lp_a 1.1 applied: its plan is not h1's
    expect(JSON.stringify(await store.hostPlan(ids.h3!))).not.toBe(
      JSON.stringify(await store.hostPlan(ids.h1!)),
    );
    // the pinned host is gated to lp_a 1 (the others are offered 1.2)
    const pinned = (await store.hostPlan(ids.pinned!))!;
    const set0 = pinned.sets.find((s) => s.replaceSet === 0);
    expect(set0?.to ?? null).not.toBe('6.12.117-1.2');
    expect((await store.hostPlan(ids.h1!))!.sets.find((s) => s.replaceSet === 0)?.to).toBe('6.12.117-1.2');
    // the summary's counts follow the hosts (SQLite keeps them in host_counts)
    const summary = await call('GET', '/v1/summary', admin);
    expect(summary.body.hosts).toBe(7);
    for (const [status, n] of Object.entries(summary.body.status))
      expect(n, status).toBe(counts[status] ?? 0);
  });

  it('a second refresh of the same repository changes nothing and answers the same', async () => {
    const plans = [];
    for (const name of Object.keys(FLEET)) plans.push(JSON.stringify(await store.hostPlan(ids[name]!)));
    // (on PostgreSQL the repository's hash is recorded as evaluated already: nothing runs)
    expect((await call('POST', '/v1/repository/refresh', admin)).status).toBe(200);
    const after = [];
    for (const name of Object.keys(FLEET)) after.push(JSON.stringify(await store.hostPlan(ids[name]!)));
    expect(after).toEqual(plans);
  });
}

describe('re-evaluation by fingerprint on SQLite', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'klpm-reeval-')), 'fleet.db');
  reevaluationSuite(() => ({
    open: async () => openSqliteStore(file),
    unfingerprint: async (hostId, plan) => {
      const db = new Database(file);
      db.prepare('UPDATE hosts SET fingerprint = NULL, plan_key = NULL, plan = ? WHERE id = ?').run(
        plan,
        hostId,
      );
      db.close();
    },
    close: async () => {},
  }));
});

const problem = await findPostgresProblem();
let schema: TestSchema | undefined;
describePostgres('re-evaluation by fingerprint on PostgreSQL', problem, () => {
  beforeAll(async () => {
    schema = await freshSchema();
  });
  reevaluationSuite(() => ({
    open: async () => openPostgresStore(schema!.url),
    unfingerprint: async (hostId, plan) => {
      await schema!.query('UPDATE hosts SET fingerprint = NULL, plan_key = NULL, plan = $1 WHERE id = $2', [
        plan,
        hostId,
      ]);
    },
    close: async () => {
      await schema?.drop();
      schema = undefined;
    },
  }));
});
