// A rollout step at fleet scale: 100,000 hosts on SQLite, a rollout of a livepatch in waves (1%
// canaries, then 10%). Every canary but one has applied; the bench times, through the real HTTP
// server, from the last canary's report (the event that closes the wave) until a sample of hosts of
// the next wave fetch plans that offer the new version (target: <= 1 s, docs/fleet.md "Rollouts").
// Placing the hosts when the rollout starts is timed too, beside no target (it happens once).
// The fleet is seeded through the store's own tables in one transaction, as bench/fleet-server does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { hostPercentile } from '../dist/fleet/index.js';
import { startFleetServer } from '../dist/server/index.js';
import { openSqliteStore } from '../dist/store/index.js';

const HOSTS = Number(process.env.KLPM_BENCH_ROLLOUT_HOSTS ?? 100_000);
const SAMPLE = 20;
const TARGET_MS = 1000;
const BUILD = '1111111111111111111111111111111111111111';
const V = (n) => `6.12.117-1.${n}`;

const lp = (n) => ({
  component: 'kernel',
  baseBuildId: BUILD,
  base: '6.12.117-1',
  to: V(n),
  replaceSet: 0,
  name: `lp_${n}`,
  sha256: String(n).repeat(64),
  manifest: {
    name: `lp_${n}`,
    replaceSet: 0,
    version: V(n),
    objects: [{ name: 'vmlinux', funcs: [{ name: 'shared_fn' }] }],
  },
});
const status = (loaded) => ({
  release: '6.12.117+deb12-amd64',
  kind: 'replace-bool',
  attributes: ['replace'],
  patches: [
    {
      name: loaded,
      enabled: true,
      transition: false,
      replace: true,
      objects: [{ name: 'vmlinux', patched: true, funcs: [{ name: 'shared_fn', sympos: 0 }] }],
    },
  ],
  modules: [],
  buildId: BUILD,
  livepatchable: { ok: true, reason: 'livepatches can be applied' },
  blocking: [],
  reboot: false,
  problems: [],
});
const report = (seq, loaded) => ({
  schemaVersion: 1,
  machineId: '0'.repeat(32),
  bootId: 'boot-1',
  buildId: BUILD,
  seq,
  agentVersion: 'bench',
  interval: 600,
  status: status(loaded),
  kmp: null,
});

const dir = mkdtempSync(join(tmpdir(), 'klpm-rollout-bench-'));
const repoPath = join(dir, 'index.json');
writeFileSync(
  repoPath,
  JSON.stringify({
    format: 'klpm-repository-index',
    version: 1,
    updates: [1, 2, 3].map((n) => ({ id: `U-${n}`, issued: `2026-11-0${n}`, livepatches: [lp(n)] })),
  }),
);
const dbPath = join(dir, 'fleet.db');
const store = openSqliteStore(dbPath);

// the fleet, through the tables: every host runs lp_1 and has reported
const seeding = performance.now();
{
  const db = new Database(dbPath);
  const text = JSON.stringify(report(1, 'lp_1'));
  const host = db.prepare(
    `INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at, seq, boot_id, build_id, release,
       status, reboot, last_seen, interval_s, report, plan) VALUES (?, ?, ?, ?, '[]', ?, 1, 'boot-1', ?, '6.12.117', 'supported', 'no', ?, 600, ?, '{}')`,
  );
  db.transaction(() => {
    for (let i = 0; i < HOSTS; i++) {
      const id = `h${String(i).padStart(7, '0')}`;
      host.run(id, id.padEnd(32, '0'), id, Buffer.alloc(32), Date.now(), BUILD, Date.now(), text);
    }
  })();
  db.close();
}
const seededMs = performance.now() - seeding;

const server = await startFleetServer({
  store,
  repoPath,
  host: '127.0.0.1',
  port: 0,
  log: () => {},
  enrollRate: 'off',
  reportRate: 'off',
  repoPollMs: 0,
  tickMs: 0,
});
const admin = await store.createToken('admin');
/** @returns {Promise<any>} */
const call = async (method, path, token, body) => {
  const answer = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`);
  return answer.json();
};

// the host whose report closes the canary wave enrolls as an agent does
const secret = await store.createEnrollSecret({ labels: [] });
const closer = await store.enroll({ secret, machineId: 'f'.repeat(32), hostname: 'closer', now: Date.now() });
if (closer.kind !== 'enrolled') throw new Error(`the closing host was not enrolled: ${closer.reason}`);
await call('POST', `/v1/hosts/${closer.id}/report`, closer.token, report(1, 'lp_1'));

const startAt = performance.now();
const started = await call('POST', '/v1/rollouts', admin, {
  component: 'kernel',
  replaceSet: 0,
  to: V(3),
  waves: [
    { name: 'canary', select: { percent: 1 }, failureBudget: '10%', soak: '0s', deadline: '1d' },
    { name: 'ten', select: { percent: 10 }, failureBudget: '10%', soak: '0s', deadline: '1d' },
    { name: 'all', select: { percent: 100 }, failureBudget: '10%', soak: '0s', deadline: '1d' },
  ],
});
const startMs = performance.now() - startAt;

// every canary but the closer has applied (seeded); the closer is put in the canary wave
{
  const db = new Database(dbPath);
  db.prepare('UPDATE rollout_hosts SET wave = 0 WHERE rollout_id = ? AND host_id = ?').run(
    started.id,
    closer.id,
  );
  db.prepare(
    'UPDATE rollout_hosts SET applied_at = ? WHERE rollout_id = ? AND wave = 0 AND host_id <> ?',
  ).run(Date.now(), started.id, closer.id);
  db.close();
}
const before = await call('GET', `/v1/rollouts/${started.id}`, admin);
const sample = [];
for (let i = 0; i < HOSTS && sample.length < SAMPLE; i += 37) {
  const id = `h${String(i).padStart(7, '0')}`;
  const p = hostPercentile(id);
  if (p >= 1 && p < 10) sample.push(id);
}
const offers = (plan) => plan.sets.some((s) => s.to === V(3));
for (const id of sample)
  if (offers(await call('GET', `/v1/hosts/${id}/plan`, admin)))
    throw new Error(`${id} is offered the version before its wave opened`);

const t0 = performance.now();
await call('POST', `/v1/hosts/${closer.id}/report`, closer.token, report(2, 'lp_3'));
let got = 0;
for (const id of sample) if (offers(await call('GET', `/v1/hosts/${id}/plan`, admin))) got++;
const stepMs = performance.now() - t0;
const after = await call('GET', `/v1/rollouts/${started.id}`, admin);

await server.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

const waves = (v) => v.waves.map((w) => `${w.name} ${w.state} ${w.hosts}`).join(', ');
console.log(`hosts: ${HOSTS.toLocaleString('en')} (seeded in ${(seededMs / 1000).toFixed(1)} s)`);
console.log(`rollout start, placing every host: ${startMs.toFixed(0)} ms (no target; it happens once)`);
console.log(`before: ${waves(before)}`);
console.log(`after:  ${waves(after)}`);
console.log(
  `rollout step, from the closing report until ${got}/${sample.length} sampled next-wave hosts are offered ${V(3)}: ${stepMs.toFixed(0)} ms (target <= ${TARGET_MS} ms) ${stepMs <= TARGET_MS && got === sample.length ? 'met' : 'MISSED'}`,
);
if (got !== sample.length) process.exitCode = 1;
