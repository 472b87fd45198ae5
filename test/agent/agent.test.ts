import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError, checkInOnce, nextDelayMs, runAgent, spooledEvents } from '../../src/agent/index.js';
import { spoolEvent } from '../../src/agent/spool.js';
import { statePath } from '../../src/host/index.js';
import { patchManifestSchema } from '../../src/klp/index.js';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { writeModule } from '../support/elf-writer.js';
import {
  eventBody,
  fakeRoot,
  OLD_BUILD,
  supportedRepositoryJson,
  writeRepository,
} from '../support/fleet-fixtures.js';
import { SimulatedKernel } from '../support/simulated-kernel.js';

const RELEASE = '6.12.117+deb12-amd64';
const NOW = Date.parse('2026-11-22T00:00:00Z');
const MODULE = writeModule({
  modinfo: ['name=lp_a', 'livepatch=Y', `vermagic=${RELEASE} SMP preempt mod_unload modversions `],
});
const SHA = createHash('sha256').update(MODULE).digest('hex');
const MANIFEST = patchManifestSchema.parse({
  name: 'lp_a',
  replaceSet: 0,
  version: '6.12.117-1.2',
  objects: [{ name: 'vmlinux', funcs: [{ name: 'lp_a_fn' }] }],
});

let store: FleetStore;
let dbPath = '';
let server: RunningServer;
let viewer = '';
let secretFile = '';
let port = 0;

/** The supported repository (lp_a 1.1, 1.2), lp_a 1.2 served from a file holding `bytes`. */
function repository(bytes: Uint8Array): string {
  const doc = JSON.parse(supportedRepositoryJson().replaceAll('a'.repeat(64), SHA));
  for (const u of doc.updates) for (const lp of u.livepatches) if (lp.sha256 === SHA) lp.file = 'lp_a-1.2.ko';
  const path = writeRepository(JSON.stringify(doc));
  writeFileSync(join(dirname(path), 'lp_a-1.2.ko'), bytes);
  return path;
}

const start = (repoPath: string, at = 0) =>
  startFleetServer({
    store,
    repoPath,
    host: '127.0.0.1',
    port: at,
    log: () => {},
    now: () => NOW,
    repoPollMs: 0,
  });

/** A fake root and a simulated kernel that loads the agent's fetched file; its log goes to <root>/dev/kmsg. */
function machine(n: number, options: { buildId?: string } = {}) {
  const root = fakeRoot({ machineId: n.toString(16).padStart(32, '0'), hostname: `h-${n}` });
  mkdirSync(join(root, 'dev'), { recursive: true });
  writeFileSync(join(root, 'dev/kmsg'), 'boot line\n');
  const file = join(root, 'var/lib/klpm/agent/files', `${SHA}.ko`);
  const kernel = new SimulatedKernel('replace-bool', new Map([[file, MANIFEST]]));
  kernel.release = RELEASE;
  if (options.buildId !== undefined) kernel.buildId = options.buildId;
  kernel.onLog = (lines) => {
    for (const line of lines) appendFileSync(join(root, 'dev/kmsg'), `6,${n},0,-;${line}\n`);
  };
  return { root, kernel };
}

const options = (m: ReturnType<typeof machine>, url = server.url) => ({
  server: url,
  enrollSecretFile: secretFile,
  root: m.root,
  interval: 600,
  apply: 'auto' as const,
  kernel: m.kernel,
  now: () => NOW,
  timeouts: { transitionMs: 1000, signalMs: 1000, settleMs: 1000, pollMs: 100 },
});

async function detail(hostId: string) {
  const r = await fetch(`${server.url}/v1/hosts/${hostId}`, {
    headers: { authorization: `Bearer ${viewer}` },
  });
  return (await r.json()) as { events: Array<{ kind: string; detail: Record<string, unknown> }> };
}

beforeAll(async () => {
  dbPath = join(mkdtempSync(join(tmpdir(), 'klpm-agent-')), 'fleet.db');
  store = openSqliteStore(dbPath);
  server = await start(repository(MODULE));
  port = server.port;
  viewer = await store.createToken('viewer');
  secretFile = join(mkdtempSync(join(tmpdir(), 'klpm-agent-secret-')), 'secret');
  writeFileSync(secretFile, await store.createEnrollSecret({ labels: [] }));
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('klpm agent --apply auto', () => {
  it('plans the same hash, fetches and checks the file, applies through the executor, posts the event with the real log', async () => {
    const m = machine(1);
    const result = await checkInOnce(options(m));
    expect(result.plan.steps).toEqual([{ op: 'load', patch: 'lp_a', version: '6.12.117-1.2', sha256: SHA }]);
    expect(result.applied).toMatchObject({ kind: 'apply', planHash: result.plan.planHash, outcome: 'ok' });
    expect(m.kernel.system.patches.map((p) => `${p.name}:${p.enabled}`)).toEqual(['lp_a:true']);
    expect(result.applied!.log.length).toBeGreaterThan(0);
    expect(result.applied!.log).toEqual(result.applied!.predictedLog);
    expect(result.spooled).toBe(0);
    // the journal of klpm apply holds the run
    expect(existsSync(statePath(m.root, 'journal'))).toBe(true);
    const events = (await detail(result.hostId)).events;
    expect(events[0]).toMatchObject({
      kind: 'apply',
      detail: { outcome: 'ok', planHash: result.plan.planHash },
    });
    expect(events[0]!.detail.log).toEqual(result.applied!.log);
  });

  it('refuses a plan whose hash it cannot reproduce from its own view: nothing applied', async () => {
    const m = machine(2, { buildId: OLD_BUILD });
    const result = await checkInOnce(options(m));
    expect(result.plan.steps.length).toBe(1);
    expect(result.applied).toMatchObject({ outcome: 'refused' });
    expect(result.applied!.reason).toMatch(/is not the plan this host makes/);
    expect(m.kernel.calls).toEqual([]);
    expect((await detail(result.hostId)).events[0]).toMatchObject({
      kind: 'apply',
      detail: { outcome: 'refused' },
    });
  });

  it('refuses a file whose sha256 is wrong: nothing loaded', async () => {
    await server.close();
    server = await start(repository(Buffer.from('a tampered module')), port);
    try {
      const m = machine(3);
      const result = await checkInOnce(options(m));
      expect(result.applied).toMatchObject({ outcome: 'refused' });
      expect(result.applied!.reason).toMatch(/has sha256 [0-9a-f]{64}, the plan promises/);
      expect(m.kernel.calls).toEqual([]);
      expect(existsSync(join(m.root, 'var/lib/klpm/agent/files', `${SHA}.ko`))).toBe(false);
    } finally {
      await server.close();
      server = await start(repository(MODULE), port);
    }
  });

  it('--apply never applies nothing', async () => {
    const m = machine(4);
    const result = await checkInOnce({ ...options(m), apply: 'never' });
    expect(result.applied).toBeNull();
    expect(m.kernel.calls).toEqual([]);
  });
});

describe("the agent's own files", () => {
  it('a state.json that repeats a key is refused with its path, not enrolled over', async () => {
    const m = machine(21);
    const state = join(m.root, 'var/lib/klpm/agent/state.json');
    mkdirSync(dirname(state), { recursive: true });
    const text = `{"server":"${server.url}/","id":"h","token":"h.x","token":"h.y","seq":3}\n`;
    writeFileSync(state, text);
    const error = await checkInOnce({ ...options(m), apply: 'never' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as Error).message).toContain(state);
    expect((error as Error).message).toContain('duplicate key "token"');
    expect(readFileSync(state, 'utf8')).toBe(text);
    expect(m.kernel.calls).toEqual([]);
  });

  it('a state.json that is not what klpm wrote is refused, not enrolled over', async () => {
    const m = machine(22);
    const state = join(m.root, 'var/lib/klpm/agent/state.json');
    mkdirSync(dirname(state), { recursive: true });
    for (const text of ['\u0000\u0001garbage', '{"server":1}', '']) {
      writeFileSync(state, text);
      const error = await checkInOnce({ ...options(m), apply: 'never' }).catch((e: unknown) => e);
      expect(error, JSON.stringify(text)).toBeInstanceOf(AgentError);
      expect((error as Error).message).toContain(state);
      expect(readFileSync(state, 'utf8')).toBe(text);
    }
  });

  it('a spooled event that repeats a key is not sent, and is left where it is', async () => {
    const m = machine(23);
    await spoolEvent(m.root, eventBody({ planHash: 'a'.repeat(64), outcome: 'failed' }), NOW);
    const dir = join(m.root, 'var/lib/klpm/agent/spool/events');
    const [name] = (await spooledEvents(m.root)).map((e) => e.name);
    const file = join(dir, name!);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^\{/, '{"kind":"x",'));
    expect(await spooledEvents(m.root)).toEqual([]);
    expect(existsSync(file)).toBe(true);
  });
});

describe('the spool', () => {
  it('server down: the report is spooled, one-line reason; when it is back, the spooled events are delivered', async () => {
    const m = machine(5);
    const first = await checkInOnce({ ...options(m), apply: 'never' });
    await server.close();
    try {
      await spoolEvent(m.root, eventBody({ planHash: first.plan.planHash, outcome: 'failed' }), NOW);
      const error = await checkInOnce({ ...options(m), apply: 'never' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentError);
      expect((error as Error).message).toMatch(
        /^cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED; the report is spooled$/,
      );
      const spool = join(m.root, 'var/lib/klpm/agent/spool');
      const kept = JSON.parse(readFileSync(join(spool, 'report.json'), 'utf8'));
      expect(kept.seq).toBe(first.seq + 1);
      // a second failed check-in folds the older report into the newer: still one report
      await checkInOnce({ ...options(m), apply: 'never' }).catch(() => undefined);
      expect((await spooledEvents(m.root)).length).toBe(1);
    } finally {
      server = await start(repository(MODULE), port);
    }
    const back = await checkInOnce({ ...options(m), apply: 'never' });
    expect(back.delivered).toBe(1);
    expect(back.seq).toBe(first.seq + 1);
    expect((await spooledEvents(m.root)).length).toBe(0);
    expect(existsSync(join(m.root, 'var/lib/klpm/agent/spool/report.json'))).toBe(false);
    expect((await detail(back.hostId)).events[0]).toMatchObject({
      kind: 'apply',
      detail: { outcome: 'failed' },
    });
  });

  it('a server answering 500: the report is spooled and the reason says so', async () => {
    const failing = createServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal error"}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    try {
      const m = machine(6);
      const state = join(m.root, 'var/lib/klpm/agent/state.json');
      mkdirSync(dirname(state), { recursive: true });
      writeFileSync(state, JSON.stringify({ server: `${url}/`, id: 'h', token: 'h.x', seq: 3 }));
      const error = await checkInOnce({ ...options(m, url) }).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        'the server failed the report: 500 internal error; the report is spooled',
      );
      expect(m.kernel.calls).toEqual([]);
      expect(existsSync(join(m.root, 'var/lib/klpm/agent/spool/report.json'))).toBe(true);
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});

describe('klpm agent run', () => {
  it('waits the interval plus jitter; errors back off exponentially up to a cap', () => {
    const backoff = { first: 1000, cap: 8000 };
    expect(nextDelayMs(600_000, 0, 0, backoff)).toBe(600_000);
    expect(nextDelayMs(600_000, 0, 1, backoff)).toBe(660_000);
    expect([1, 2, 3, 4, 5, 6].map((n) => nextDelayMs(600_000, n, 1, backoff))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(nextDelayMs(600_000, 3, 0, backoff)).toBe(2000);
  });

  it('checks in again and again; a down server is retried with back-off and the loop goes on', async () => {
    const m = machine(7);
    const waits: number[] = [];
    const results: string[] = [];
    const stop = new AbortController();
    let n = 0;
    await runAgent({
      ...options(m),
      apply: 'never',
      signal: stop.signal,
      random: () => 0.5,
      backoffMs: { first: 100, cap: 400 },
      maxCheckIns: 4,
      sleep: async (ms) => {
        waits.push(ms);
        n++;
        if (n === 1) await server.close();
        if (n === 3) server = await start(repository(MODULE), port);
      },
      onCheckIn: (r) => results.push(r.ok ? 'ok' : r.reason.split(':')[0]!),
    });
    expect(results).toEqual(['ok', 'cannot reach http', 'cannot reach http', 'ok']);
    expect(waits).toEqual([630_000, 75, 150]);
  });
});
