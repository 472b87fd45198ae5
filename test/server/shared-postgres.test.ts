import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FleetStore, openPostgresStore } from '../../src/store/index.js';
import {
  reportBody,
  repositoryJson,
  supportedRepositoryJson,
  writeRepository,
} from '../support/fleet-fixtures.js';
import { describePostgres, findPostgresProblem, freshSchema, type TestSchema } from '../support/postgres.js';

/**
 * Two `klpm serve` processes (the built CLI) on one PostgreSQL schema, with one repository: the
 * report rate limit holds across both (the windows are the database's), and after the repository
 * changes the hosts are re-evaluated once, by one of them, whether the change is seen by the
 * servers' own polls or asked for on both at once (POST /v1/repository/refresh).
 */

const KLPM = fileURLToPath(new URL('../../bin/klpm.js', import.meta.url));
const problem = await findPostgresProblem();
const HOSTS = 30;

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly log: () => string[];
}

let schema: TestSchema | undefined;
let store: FleetStore | undefined;
const servers: Served[] = [];
let repo = '';
let admin = '';

function serve(db: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      ...[KLPM, 'serve', '--db', db, '--repo', repo, '--listen', '127.0.0.1:0', '--json'],
      ...['--report-rate', '4/1m', '--enroll-rate', 'off'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n'))
        resolve({
          child,
          url: JSON.parse(out.split('\n')[0] ?? '').listening,
          log: () => err.split('\n').filter(Boolean),
        });
    });
    child.once('exit', (code) => reject(new Error(`klpm serve exited ${code}: ${err}`)));
  });
}

async function call(url: string, method: string, path: string, token: string, body?: unknown) {
  const answer = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, checked field by field
  return { status: answer.status, headers: answer.headers, body: (await answer.json()) as any };
}

/**
 * Every re-evaluation either server did since `since` (ms): its poll's log lines and the refresh
 * answers given. (At start, the first poll of one of them assesses the hosts against the repository
 * the database has no hash of yet.)
 */
function reevaluations(answers: ReadonlyArray<{ reevaluated: boolean; hosts: number }>, since: number) {
  const logged = servers.flatMap((s) =>
    s
      .log()
      .map(
        (line) => JSON.parse(line) as { time: string; event?: string; reevaluated?: boolean; hosts?: number },
      )
      .filter(
        (l) => l.event === 'repository-refresh' && l.reevaluated === true && Date.parse(l.time) >= since,
      ),
  );
  return [...logged, ...answers.filter((a) => a.reevaluated)];
}

describePostgres('two klpm serve on one PostgreSQL', problem, () => {
  beforeAll(async () => {
    schema = await freshSchema();
    store = await openPostgresStore(schema.url);
    admin = await store.createToken('admin');
    repo = writeRepository(supportedRepositoryJson());
    servers.push(...(await Promise.all([serve(schema.url), serve(schema.url)])));
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM');
    await store?.close();
    await schema?.drop();
  });

  it('share the report rate limit: 4 a minute for a host, whichever server takes them', async () => {
    const secret = await store!.createEnrollSecret({ labels: [] });
    const [a, b] = servers as [Served, Served];
    const enrolled = await call(a.url, 'POST', '/v1/enroll', '', {
      secret,
      machineId: 'e'.repeat(32),
      hostname: 'rate',
    });
    expect(enrolled.status).toBe(200);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let seq = 1; seq <= 6; seq++) {
      const answer = await call(
        (seq % 2 === 0 ? b : a).url,
        'POST',
        `/v1/hosts/${enrolled.body.id}/report`,
        enrolled.body.token,
        reportBody({ seq }),
      );
      statuses.push(answer.status);
      retryAfter ??= answer.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('re-evaluate every host once after the repository changes, on one of the two', async () => {
    const secret = await store!.createEnrollSecret({ labels: [] });
    for (let i = 0; i < HOSTS; i++) {
      const via = servers[i % 2]!.url;
      const enrolled = await call(via, 'POST', '/v1/enroll', '', {
        secret,
        machineId: (i + 1).toString(16).padStart(32, '0'),
        hostname: `h${i}`,
      });
      expect(
        (await call(via, 'POST', `/v1/hosts/${enrolled.body.id}/report`, enrolled.body.token, reportBody()))
          .status,
      ).toBe(200);
    }
    const before = await call(servers[0]!.url, 'GET', '/v1/summary', admin);
    expect(before.body.status.supported).toBe(HOSTS + 1); // and the rate test's host

    const since = Date.now();
    writeFileSync(repo, repositoryJson()); // BUILD is end of life in replace set 1 now
    const answers = (
      await Promise.all(servers.map((s) => call(s.url, 'POST', '/v1/repository/refresh', admin)))
    ).map((a) => {
      expect(a.status).toBe(200);
      return a.body as { reevaluated: boolean; hosts: number };
    });
    // the polls (every 2 s) may have seen the change first: give them two more rounds
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const done = reevaluations(answers, since);
    expect(
      done,
      JSON.stringify(servers.map((s) => s.log().filter((l) => l.includes('refresh')))),
    ).toHaveLength(1);
    expect(done[0]?.hosts).toBe(HOSTS + 1);
    for (const s of servers) {
      const after = await call(s.url, 'GET', '/v1/summary', admin);
      expect(after.body.status['kernel-end-of-life']).toBe(HOSTS + 1);
    }
    // asked again, with nothing changed: done already, by nobody again
    const again = await Promise.all(servers.map((s) => call(s.url, 'POST', '/v1/repository/refresh', admin)));
    expect(again.map((a) => a.body.reevaluated)).toEqual([false, false]);
  }, 120_000);
});
