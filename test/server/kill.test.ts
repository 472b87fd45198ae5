import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { type FleetStore, openPostgresStore, openSqliteStore } from '../../src/store/index.js';
import { reportBody, writeRepository } from '../support/fleet-fixtures.js';
import { describePostgres, findPostgresProblem, freshSchema } from '../support/postgres.js';
import { seeded } from '../support/seeded-random.js';

// Issue 14, "Faults": `klpm serve` (the built CLI) on SQLite under a load of simulated agents is
// killed with SIGKILL at random moments, KILLS times, and started again on the same database. After
// each kill, every report that got a 2xx answer is stored, or superseded by a later report of its
// host; at the end the agents have delivered what they kept, so every host's last report is stored.
// On PostgreSQL two servers share one database behind a modelled load balancer (each request goes
// to the next server in turn); one of them is killed and restarted, the other keeps serving.
// The agents are modelled here, as src/agent's spool behaves: a report without a 2xx answer is kept
// and sent again, and a newer check-in folds it into the newest (older reports are not resent).

const HOSTS = 200;
const KILLS = 20;
const IN_FLIGHT = 24;
const cli = join(import.meta.dirname, '../../bin/klpm.js');

interface Agent {
  readonly id: string;
  readonly token: string;
  /** the seq of the newest report made */
  made: number;
  /** the highest seq that got a 2xx */
  acked: number;
  /** the report kept for delivery (its seq), or 0 when nothing waits */
  spooled: number;
}

async function startServe(db: string, repo: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--db', db, '--repo', repo, '--listen', '127.0.0.1:0', '--report-rate', 'off', '--json'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { listening: string }).listening);
    });
    child.once('exit', (code) => reject(new Error(`klpm serve exited with ${code} before listening`)));
  });
  return { child, url };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }
  });

/** host id -> stored seq, read from the SQLite file as a restarted server finds it */
function sqliteSeqs(db: string): Map<string, number> {
  const file = new Database(db);
  try {
    const rows = file.prepare('SELECT id, seq FROM hosts').all() as Array<{ id: string; seq: number | null }>;
    return new Map(rows.map((r) => [r.id, r.seq ?? 0]));
  } finally {
    file.close();
  }
}

interface KillSetup {
  /** the --db of every server */
  readonly db: string;
  readonly store: FleetStore;
  /** how many servers share the database; the first is the one killed */
  readonly servers: number;
  /** host id -> stored seq, as a restarted server finds it */
  readonly storedSeqs: () => Promise<Map<string, number>>;
}

async function killUnderLoad({ db, store, servers: serverCount, storedSeqs }: KillSetup): Promise<void> {
  const seed = Date.now() % 1_000_000;
  const random = seeded(seed);
  const repo = writeRepository();
  const secret = await store.createEnrollSecret({ labels: [] });
  const agents: Agent[] = [];
  for (let h = 0; h < HOSTS; h++) {
    const machineId = h.toString(16).padStart(32, '0');
    const enrolled = await store.enroll({ secret, machineId, hostname: `kill-${h}`, now: Date.now() });
    if (enrolled.kind !== 'enrolled') throw new Error('enrollment refused');
    agents.push({ id: enrolled.id, token: enrolled.token, made: 0, acked: 0, spooled: 0 });
  }
  await store.close();

  const servers = await Promise.all(Array.from({ length: serverCount }, () => startServe(db, repo)));
  let turn = 0;
  let checkingIn = true;
  let answered = 0;
  let refused = 0;
  const post = async (agent: Agent): Promise<void> => {
    // a check-in folds what the spool holds into the newest report; at the end only the spool is sent
    if (checkingIn || agent.spooled === 0) agent.spooled = ++agent.made;
    const seq = agent.spooled;
    try {
      const server = servers[turn++ % serverCount]!;
      const res = await fetch(`${server.url}/v1/hosts/${agent.id}/report`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(reportBody({ seq })),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (res.status >= 200 && res.status < 300) {
        answered++;
        agent.acked = Math.max(agent.acked, seq);
        if (agent.spooled === seq) agent.spooled = 0;
      } else refused++;
    } catch {
      refused++;
      // the server is down: back off a little before the next try
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  let next = 0;
  let loading = true;
  const workers = Array.from({ length: IN_FLIGHT }, async () => {
    while (loading) await post(agents[next++ % HOSTS]!);
  });

  const problems: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    await new Promise((r) => setTimeout(r, 100 + random() * 400));
    await killed(servers[0]!.child);
    // what was answered before the kill, read while no server runs
    const acked = new Map(agents.map((a) => [a.id, a.acked]));
    const stored = await storedSeqs();
    for (const [id, seq] of acked)
      if ((stored.get(id) ?? 0) < seq)
        problems.push(`kill ${k}: host ${id} got a 2xx for seq ${seq}, stored ${stored.get(id)}`);
    servers[0] = await startServe(db, repo);
  }
  // the last restart: check-ins stop, the agents deliver what they kept
  await new Promise((r) => setTimeout(r, 300));
  checkingIn = false;
  for (let round = 0; round < 50 && agents.some((a) => a.spooled !== 0); round++)
    await new Promise((r) => setTimeout(r, 100));
  loading = false;
  await Promise.all(workers);
  const stored = await storedSeqs();
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }

  expect(problems, `seed ${seed}`).toEqual([]);
  expect(answered).toBeGreaterThan(HOSTS);
  expect(
    agents.filter((a) => a.spooled !== 0).map((a) => a.id),
    `seed ${seed}`,
  ).toEqual([]);
  // nothing lost: every host's newest report is the one stored
  expect(
    agents
      .filter((a) => stored.get(a.id) !== a.made)
      .map((a) => `${a.id}: made ${a.made}, stored ${stored.get(a.id)}`),
    `seed ${seed}, ${refused} tries without a 2xx`,
  ).toEqual([]);
}

it(`stores every answered report through ${KILLS} SIGKILLs of klpm serve on SQLite, and loses nothing`, async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'klpm-kill-')), 'fleet.db');
  await killUnderLoad({ db, store: openSqliteStore(db), servers: 1, storedSeqs: async () => sqliteSeqs(db) });
}, 120_000);

describePostgres('two klpm serve on one PostgreSQL', await findPostgresProblem(), () => {
  it(`store every answered report through ${KILLS} SIGKILLs of one of them, and lose nothing`, async () => {
    const schema = await freshSchema();
    try {
      await killUnderLoad({
        db: schema.url,
        store: await openPostgresStore(schema.url),
        servers: 2,
        storedSeqs: async () =>
          new Map(
            (await schema.query<{ id: string; seq: string | null }>('SELECT id, seq FROM hosts')).map((r) => [
              r.id,
              Number(r.seq ?? 0),
            ]),
          ),
      });
    } finally {
      await schema.drop();
    }
  }, 150_000);
});
