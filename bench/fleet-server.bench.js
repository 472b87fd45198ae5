// The fleet server under load (issue 14, "Speed, scale, memory"), loopback only. Every process is
// separate: the server (fleet-server/serve.js), the load (fleet-server/load.js, posting reports of
// 2-4 KB: the `klpm status --json` document of a machine with a livepatch and 140 modules loaded,
// in the agent's envelope), and this one, which seeds the database through the store's own tables in
// bulk transactions (not 100,000 HTTP enrollments), times the reads and runs `klpm agent once`.
//
// Figures, each beside its limit or target from the same run:
// - ingest (reports/s, p99) against the limit: the same server stack with `validateOnly`, which
//   answers a report once it is authorized, parsed and validated (target: ingest >= 0.5 of it,
//   >= 2,000 reports/s, p99 <= 50 ms);
// - with STORED hosts stored: GET /v1/summary and a filtered GET /v1/hosts page (<= 100 ms each),
//   POST /v1/repository/refresh re-evaluating every host (<= 5 s), server RSS (<= 400 MB);
// - `klpm agent once` that changes nothing, CPU and RSS of the whole process (<= 150 ms, <= 80 MB),
//   beside `node -e 0` in the same run;
// - on PostgreSQL (KLPM_TEST_PG, skipped when none answers): ingest, its limit and the summary.
//
// Options (environment), with the values in brackets where the default is smaller so the
// whole benchmark stays near three minutes on a shared 2-core machine:
//   KLPM_BENCH_HOSTS=100000       enrolled hosts the load reports for [100,000]
//   KLPM_BENCH_INGEST_S=15        seconds of each load run [60]
//   KLPM_BENCH_STORED=100000      hosts stored (at least the enrolled ones) for the reads and the re-evaluation [1,000,000]
//   KLPM_BENCH_CONCURRENCY=16     requests in flight
//   KLPM_BENCH_CPU_PROF=DIR       CPU profiles of the servers (node --cpu-prof), for finding the ingest's cost
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../dist/store/index.js';
import { BUILDS, buildOf, hostId, machineIdOf, repositoryJson, tokenHash } from './fleet-server/hosts.js';

const HOSTS = Number(process.env.KLPM_BENCH_HOSTS ?? 100_000);
const SECONDS = Number(process.env.KLPM_BENCH_INGEST_S ?? 15);
const STORED = Math.max(HOSTS, Number(process.env.KLPM_BENCH_STORED ?? 100_000));
const CONCURRENCY = Number(process.env.KLPM_BENCH_CONCURRENCY ?? 16);
const PG_URL = process.env.KLPM_TEST_PG ?? 'postgres://klpm:klpm@127.0.0.1:5432/klpm_test';
const repo = fileURLToPath(new URL('..', import.meta.url));
const klpm = join(repo, 'bin', 'klpm.js');
const here = join(repo, 'bench', 'fleet-server');
const work = mkdtempSync(join(tmpdir(), 'klpm-bench-fleet-server-'));
const failures = [];
const check = (label, ok) => {
  if (!ok) failures.push(label);
  return ok ? 'met' : 'MISSED';
};

/** A machine with the 6.12 e2e livepatch loaded (e2e/fixtures/6.12/upgrade-v2.sysfs) and 140 modules. */
function fakeMachine(root, i) {
  const listing = readFileSync(join(repo, 'e2e/fixtures/6.12/upgrade-v2.sysfs'), 'utf8');
  for (const line of listing.split('\n').filter(Boolean)) {
    const name = line.split('=')[0];
    const full = join(root, line.startsWith('/') ? name : join('sys/kernel/livepatch', name));
    if (line.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, line.includes('=') ? `${line.slice(line.indexOf('=') + 1)}\n` : '');
    }
  }
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const families = ['nf_conntrack', 'snd_hda_codec', 'xt_', 'ip6t_', 'drm_kms', 'crc32', 'dm_', 'virtio_'];
  const modules = ['klpm_e2e_v2', 'klpm_e2e_target'];
  for (let m = 0; modules.length < 142; m++) modules.push(`${families[m % families.length]}mod${m}`);
  write('proc/modules', modules.map((m) => `${m} 16384 1 - Live 0x0\n`).join(''));
  write('proc/sys/kernel/osrelease', '6.12.117+deb12-amd64\n');
  write('etc/machine-id', `${machineIdOf(i)}\n`);
  write('proc/sys/kernel/random/boot_id', '6d3c1a52-7a47-4c1e-9d0f-1f2e3d4c5b6a\n');
  write('proc/sys/kernel/hostname', 'agent-bench\n');
  // /sys/kernel/notes: one GNU build-ID note (namesz 4, descsz 20, type 3)
  const header = Buffer.alloc(12);
  header.writeUInt32LE(4, 0);
  header.writeUInt32LE(20, 4);
  header.writeUInt32LE(3, 8);
  write('sys/kernel/notes', Buffer.concat([header, Buffer.from('GNU\0'), Buffer.from(buildOf(i), 'hex')]));
  return root;
}

/** Starts fleet-server/serve.js and waits for its URL. */
async function startServer(db, repoPath, validateOnly = false) {
  const child = spawn(
    process.execPath,
    [
      // KLPM_BENCH_CPU_PROF=DIR: each server writes a CPU profile (node --cpu-prof) there
      ...(process.env.KLPM_BENCH_CPU_PROF
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.KLPM_BENCH_CPU_PROF]
        : []),
      join(here, 'serve.js'),
      JSON.stringify({ db, repo: repoPath, validateOnly }),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]).url);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  /** current and peak RSS in MB, from /proc */
  const rss = () => {
    const text = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)[1]);
    return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  };
  return { url, stop, rss };
}

function runLoad(url, firstSeq, status, hosts = HOSTS) {
  const args = JSON.stringify({ url, hosts, seconds: SECONDS, concurrency: CONCURRENCY, firstSeq, status });
  const run = spawnSync(process.execPath, [join(here, 'load.js'), args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`the load process failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout);
  return { ...result, rate: result.ok / result.seconds };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timeGet(url, path, token, rounds = 5) {
  const times = [];
  let body;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    body = /** @type {any} */ (await res.json());
    times.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  }
  return { ms: median(times), body };
}

const fmtLoad = (r) =>
  `${r.rate.toFixed(0)} reports/s (${r.ok} in ${r.seconds.toFixed(1)} s, ${r.failed} failed), p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`;

const loadBefore = loadavg();
console.log(
  `machine: ${availableParallelism()} cpus (${cpus()[0]?.model ?? 'unknown'}), load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} at the start`,
);
console.log(
  `hosts enrolled ${HOSTS}, stored ${STORED}, ${SECONDS} s per load run, ${CONCURRENCY} requests in flight`,
);

// the report: what `klpm status --json` prints on the fake machine, in the agent's envelope
const machine = fakeMachine(join(work, 'machine'), 0);
const statusRun = spawnSync(process.execPath, [klpm, 'status', '--json', '--root', machine], {
  encoding: 'utf8',
});
const status = JSON.parse(statusRun.stdout);
const { reportOf } = await import('./fleet-server/hosts.js');
console.log(`report size: ${Buffer.byteLength(JSON.stringify(reportOf(0, 1, status)))} bytes`);

const repoPath = join(work, 'index.json');
writeFileSync(repoPath, repositoryJson(5));

// ---- SQLite
const dbPath = join(work, 'fleet.db');
const setup = await openStore(dbPath);
const adminToken = await setup.createToken('admin');
const enrollSecret = await setup.createEnrollSecret({ labels: [] });
await setup.close();
const sqlite = new Database(dbPath);
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');
let t0 = performance.now();
{
  const insert = sqlite.prepare(
    'INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const now = Date.now();
  const batch = sqlite.transaction((from, to) => {
    for (let i = from; i < to; i++)
      insert.run(hostId(i), machineIdOf(i), `host-${i}`, tokenHash(i), '[]', now);
  });
  for (let i = 0; i < HOSTS; i += 10_000) batch(i, Math.min(HOSTS, i + 10_000));
}
console.log(`seeded ${HOSTS} enrolled hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

let server = await startServer(dbPath, repoPath, true);
const limit = runLoad(server.url, 0, status);
await server.stop();
server = await startServer(dbPath, repoPath);
const ingest = runLoad(server.url, 1_000_000, status);
const ingestRss = server.rss();
await server.stop();
const ratio = ingest.rate / limit.rate;
console.log(`\nSQLite`);
console.log(`limit (validate only):  ${fmtLoad(limit)}`);
console.log(`ingest:                 ${fmtLoad(ingest)}`);
console.log(
  `ingest / limit: ${ratio.toFixed(2)} (goal >= 0.5: ${check('sqlite ingest/limit', ratio >= 0.5)}); >= 2000 reports/s: ${check('sqlite ingest rate', ingest.rate >= 2000)}; p99 <= 50 ms: ${check('sqlite ingest p99', ingest.p99 <= 50)}; server RSS ${ingestRss.peak.toFixed(0)} MB peak`,
);

// the stored fleet: every host has reported; hosts past HOSTS copy the stored row of a host of their build
t0 = performance.now();
{
  const templates = sqlite
    .prepare(
      'SELECT build_id, release, status, reboot, expires, report, plan, plan_key, fingerprint FROM hosts WHERE report IS NOT NULL GROUP BY build_id',
    )
    .all();
  const byBuild = new Map(templates.map((/** @type {any} */ t) => [t.build_id, t]));
  const insert = sqlite.prepare(
    `INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at, seq, boot_id, build_id, release,
       status, reboot, expires, last_seen, interval_s, report, plan, plan_key, fingerprint)
     VALUES (?, ?, ?, ?, '[]', ?, 1, 'boot', ?, ?, ?, ?, ?, ?, 600, ?, ?, ?, ?)`,
  );
  const fill = sqlite.prepare(
    `UPDATE hosts SET seq = 1, boot_id = 'boot', build_id = ?, release = ?, status = ?, reboot = ?, expires = ?,
       last_seen = ?, interval_s = 600, report = ?, plan = ?, plan_key = ?, fingerprint = ? WHERE id = ? AND report IS NULL`,
  );
  const now = Date.now();
  const batch = sqlite.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const t = /** @type {any} */ (byBuild.get(buildOf(i)));
      const report = t.report.replace(/"seq":\d+/, '"seq":1');
      if (i < HOSTS)
        fill.run(
          t.build_id,
          t.release,
          t.status,
          t.reboot,
          t.expires,
          now,
          report,
          t.plan,
          t.plan_key,
          t.fingerprint,
          hostId(i),
        );
      else
        insert.run(
          hostId(i),
          machineIdOf(i),
          `host-${i}`,
          tokenHash(i),
          now,
          t.build_id,
          t.release,
          t.status,
          t.reboot,
          t.expires,
          now,
          report,
          t.plan,
          t.plan_key,
          t.fingerprint,
        );
    }
  });
  for (let i = 0; i < STORED; i += 10_000) batch(i, Math.min(STORED, i + 10_000));
  // the rows were written past the store, so its summary counts (host_counts) are counted afresh,
  // as migration 5 counts an existing database
  sqlite.exec(`DELETE FROM host_counts;
    INSERT INTO host_counts (build_id, release, status, reboot, expires, interval_s, hosts)
      SELECT COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
             COALESCE(interval_s, -1), COUNT(*)
        FROM hosts WHERE last_seen IS NOT NULL
        GROUP BY COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
                 COALESCE(interval_s, -1);`);
}
sqlite.close();
console.log(`\nseeded ${STORED} reported hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

server = await startServer(dbPath, repoPath);
const rssStart = server.rss();
const summary = await timeGet(server.url, '/v1/summary', adminToken);
const filtered = await timeGet(server.url, '/v1/hosts?status=unsupported&limit=100', adminToken);
const byBuild = await timeGet(server.url, `/v1/hosts?buildId=${buildOf(7)}&limit=100`, adminToken);
writeFileSync(repoPath, repositoryJson(6));
t0 = performance.now();
const refreshRes = await fetch(`${server.url}/v1/repository/refresh`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}` },
});
const refreshed = /** @type {any} */ (await refreshRes.json());
const refreshMs = performance.now() - t0;
const after = await timeGet(server.url, '/v1/summary', adminToken, 1);
const rssAfter = server.rss();
console.log(`with ${summary.body.hosts} hosts stored (${BUILDS} builds):`);
console.log(
  `GET /v1/summary:        ${summary.ms.toFixed(1)} ms (target <= 100 ms: ${check('sqlite summary', summary.ms <= 100)})`,
);
console.log(
  `GET /v1/hosts?status=unsupported&limit=100: ${filtered.ms.toFixed(1)} ms, ${filtered.body.hosts.length} hosts (target <= 100 ms: ${check('sqlite filtered list', filtered.ms <= 100)})`,
);
console.log(
  `GET /v1/hosts?buildId=…&limit=100: ${byBuild.ms.toFixed(1)} ms, ${byBuild.body.hosts.length} hosts`,
);
console.log(
  `POST /v1/repository/refresh: ${(refreshMs / 1000).toFixed(2)} s for ${refreshed.hosts} hosts (target <= 5 s at 1,000,000 hosts: ${check('sqlite refresh', refreshMs <= 5000 * (refreshed.hosts / 1_000_000))} scaled to ${refreshed.hosts}); the summary after it counts ${after.body.hosts}`,
);
console.log(
  `server RSS: ${rssStart.now.toFixed(0)} MB after start, ${rssAfter.peak.toFixed(0)} MB peak through the reads and the refresh (target <= 400 MB: ${check('sqlite rss', rssAfter.peak <= 400)})`,
);

// an agent check-in that changes nothing, the whole process, beside node -e 0
{
  // a machine of its own: one with a stored host's machine-id would report that host's seq again
  // from another boot, and be answered 409 as a clone of it
  const root = fakeMachine(join(work, 'agent-root'), STORED);
  const secretFile = join(work, 'secret');
  writeFileSync(secretFile, `${enrollSecret}\n`, { mode: 0o600 });
  const agentArgs = [
    klpm,
    'agent',
    'once',
    '--server',
    server.url,
    '--enroll-secret',
    secretFile,
    '--root',
    root,
  ];
  const first = spawnSync(process.execPath, agentArgs, { encoding: 'utf8' });
  if (first.status !== 0) throw new Error(`klpm agent once failed: ${first.stderr}`);
  const measure = (args) => {
    const runs = [];
    for (let r = 0; r < 5; r++) {
      const run = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, ...args], {
        encoding: 'utf8',
      });
      const [user, sys, kb] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
      runs.push({ cpu: (user + sys) * 1000, rss: kb / 1024 });
    }
    return { cpu: median(runs.map((r) => r.cpu)), rss: median(runs.map((r) => r.rss)) };
  };
  const floor = measure(['-e', '0']);
  const agent = measure(agentArgs);
  console.log(
    `klpm agent once (nothing changes): ${agent.cpu.toFixed(0)} ms CPU (target <= 150: ${check('agent cpu', agent.cpu <= 150)}), ${agent.rss.toFixed(0)} MB RSS (target <= 80: ${check('agent rss', agent.rss <= 80)}); node -e 0: ${floor.cpu.toFixed(0)} ms CPU, ${floor.rss.toFixed(0)} MB`,
  );
}
await server.stop();

// ---- PostgreSQL: ingest, its limit and the summary over the enrolled hosts
const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
const pgUp = await probe.connect().then(
  () => true,
  () => false,
);
if (!pgUp) console.log('\nPostgreSQL: skipped, nothing answers at KLPM_TEST_PG');
else {
  const schema = `klpm_bench_${process.pid}`;
  await probe.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const store = await openStore(url.toString());
  const pgAdmin = await store.createToken('admin');
  await store.close();
  await probe.query(`SET search_path = ${schema}`);
  t0 = performance.now();
  const now = Date.now();
  for (let i = 0; i < HOSTS; i += 1000) {
    const values = [];
    const params = [];
    for (let j = i; j < Math.min(HOSTS, i + 1000); j++) {
      const n = params.length;
      values.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, '[]', ${now})`);
      params.push(hostId(j), machineIdOf(j), `host-${j}`, tokenHash(j));
    }
    await probe.query(
      `INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at) VALUES ${values.join(', ')}`,
      params,
    );
  }
  console.log(
    `\nPostgreSQL: seeded ${HOSTS} enrolled hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  server = await startServer(url.toString(), repoPath, true);
  const pgLimit = runLoad(server.url, 0, status);
  await server.stop();
  server = await startServer(url.toString(), repoPath);
  const pgIngest = runLoad(server.url, 1_000_000, status);
  const pgSummary = await timeGet(server.url, '/v1/summary', pgAdmin);
  const pgFiltered = await timeGet(server.url, '/v1/hosts?status=unsupported&limit=100', pgAdmin);
  // the re-evaluation over the hosts the ingest stored
  writeFileSync(repoPath, repositoryJson(7));
  t0 = performance.now();
  const pgRefreshed = /** @type {any} */ (
    await (
      await fetch(`${server.url}/v1/repository/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${pgAdmin}` },
      })
    ).json()
  );
  const pgRefreshMs = performance.now() - t0;
  const pgAfter = await timeGet(server.url, '/v1/summary', pgAdmin, 1);
  const pgRss = server.rss();
  await server.stop();
  const pgRatio = pgIngest.rate / pgLimit.rate;
  console.log(`limit (validate only):  ${fmtLoad(pgLimit)}`);
  console.log(`ingest:                 ${fmtLoad(pgIngest)}`);
  console.log(
    `ingest / limit: ${pgRatio.toFixed(2)} (goal >= 0.5: ${pgRatio >= 0.5 ? 'met' : 'MISSED'}); >= 2000 reports/s: ${pgIngest.rate >= 2000 ? 'met' : 'MISSED'}; p99 <= 50 ms: ${pgIngest.p99 <= 50 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `GET /v1/summary over ${pgSummary.body.hosts} reported hosts: ${pgSummary.ms.toFixed(1)} ms; GET /v1/hosts?status=unsupported&limit=100: ${pgFiltered.ms.toFixed(1)} ms; server RSS ${pgRss.peak.toFixed(0)} MB peak`,
  );
  console.log(
    `POST /v1/repository/refresh: ${(pgRefreshMs / 1000).toFixed(2)} s for ${pgRefreshed.hosts} hosts (target <= 5 s at 1,000,000 hosts: ${pgRefreshMs <= 5000 * (pgRefreshed.hosts / 1_000_000) ? 'met' : 'MISSED'} scaled to ${pgRefreshed.hosts}); the summary after it counts ${pgAfter.body.hosts}`,
  );
  await probe.query(`DROP SCHEMA ${schema} CASCADE`);
}
await probe.end().catch(() => {});
rmSync(work, { recursive: true, force: true });
console.log(
  `\nload average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (failures.length > 0) {
  console.log(`missed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
