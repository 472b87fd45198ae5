import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInOnce } from '../../src/agent/index.js';
import { type PatchManifest, patchManifestSchema } from '../../src/klp/index.js';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { writeModule } from '../support/elf-writer.js';
import { BUILD, fakeRoot, writeRepository } from '../support/fleet-fixtures.js';
import { SimulatedKernel } from '../support/simulated-kernel.js';

// A rollout carried out by real agents (src/agent with --apply auto) on simulated kernels: each
// agent plans its gated plan again and gets the server's planHash, applies it through the
// executor, and its reports move the rollout; a rollback is applied the same way.

const RELEASE = '6.12.117+deb12-amd64';
const NOW = Date.parse('2026-11-22T00:00:00Z');
const V = (n: number) => `6.12.117-1.${n}`;

const modules = [1, 2, 3].map((n) => {
  const bytes = writeModule({
    modinfo: [`name=lp_${n}`, 'livepatch=Y', `vermagic=${RELEASE} SMP preempt mod_unload modversions `],
  });
  const manifest: PatchManifest = patchManifestSchema.parse({
    name: `lp_${n}`,
    replaceSet: 0,
    version: V(n),
    objects: [{ name: 'vmlinux', funcs: [{ name: 'shared_fn' }] }],
  });
  return { n, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), manifest };
});

let store: FleetStore;
let server: RunningServer;
let admin = '';
const secrets = { canary: '', rest: '' };

function repository(): string {
  const path = writeRepository(
    JSON.stringify({
      format: 'klpm-repository-index',
      version: 1,
      updates: modules.map((m) => ({
        id: `U-${m.n}`,
        issued: `2026-11-0${m.n}`,
        livepatches: [
          {
            component: 'kernel',
            baseBuildId: BUILD,
            base: '6.12.117-1',
            to: V(m.n),
            replaceSet: 0,
            name: `lp_${m.n}`,
            file: `lp_${m.n}.ko`,
            sha256: m.sha256,
            manifest: m.manifest,
          },
        ],
      })),
    }),
  );
  for (const m of modules) writeFileSync(join(dirname(path), `lp_${m.n}.ko`), m.bytes);
  return path;
}

function machine(n: number, secretFile: string) {
  const root = fakeRoot({ machineId: n.toString(16).padStart(32, '0'), hostname: `h-${n}` });
  mkdirSync(join(root, 'dev'), { recursive: true });
  writeFileSync(join(root, 'dev/kmsg'), 'boot line\n');
  const files = new Map(
    modules.map((m) => [join(root, 'var/lib/klpm/agent/files', `${m.sha256}.ko`), m.manifest] as const),
  );
  const kernel = new SimulatedKernel('replace-bool', files);
  kernel.release = RELEASE;
  kernel.onLog = (lines) => {
    for (const line of lines) appendFileSync(join(root, 'dev/kmsg'), `6,${n},0,-;${line}\n`);
  };
  const checkIn = (apply: 'auto' | 'never' = 'auto') =>
    checkInOnce({
      server: server.url,
      enrollSecretFile: secretFile,
      root,
      interval: 600,
      apply,
      kernel,
      now: () => NOW,
      timeouts: { transitionMs: 1000, signalMs: 1000, settleMs: 1000, pollMs: 100 },
    });
  const loaded = () => kernel.system.patches.filter((p) => p.enabled).map((p) => p.name);
  return { checkIn, loaded };
}

async function call(method: string, path: string, body?: unknown) {
  const answer = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a test reads the answers field by field
  return { status: answer.status, body: (await answer.json()) as any };
}

beforeAll(async () => {
  store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'klpm-rollout-agent-')), 'fleet.db'));
  server = await startFleetServer({
    store,
    repoPath: repository(),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => NOW,
    repoPollMs: 0,
    tickMs: 0,
  });
  admin = await store.createToken('admin');
  const dir = mkdtempSync(join(tmpdir(), 'klpm-rollout-secrets-'));
  secrets.canary = join(dir, 'canary');
  secrets.rest = join(dir, 'rest');
  writeFileSync(secrets.canary, await store.createEnrollSecret({ labels: ['canary:yes'] }));
  writeFileSync(secrets.rest, await store.createEnrollSecret({ labels: ['site:ams1'] }));
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('a rollout applied by agents', () => {
  // The agent's report reads the fake root's sysfs, which the simulated kernel does not write, so
  // the server plans from "nothing loaded" here; the agent plans from the simulated kernel, which
  // matches that view before its first apply. Each machine applies once; the rollout's moves from
  // reports are tested through the API (test/server/rollout.test.ts).
  it('an agent applies the gated plan below the version, and a canary the version: the same planHash', async () => {
    const canary = machine(1, secrets.canary);
    const rest = machine(2, secrets.rest);
    await rest.checkIn('never');
    await canary.checkIn('never');
    const started = await call('POST', '/v1/rollouts', {
      component: 'kernel',
      replaceSet: 0,
      to: V(3),
      waves: [
        { name: 'canary', select: { label: 'canary:yes' }, failureBudget: 0, soak: '0s', deadline: '1h' },
        { name: 'rest', select: { percent: 100 }, failureBudget: 0, soak: '0s', deadline: '1h' },
      ],
    });
    expect(started.status).toBe(200);
    expect(started.body.waves.map((w: { state: string }) => w.state)).toEqual(['open', 'pending']);
    const below = await rest.checkIn();
    expect(below.plan.sets[0]?.to).toBe(V(2));
    expect(below.applied).toMatchObject({ outcome: 'ok', planHash: below.plan.planHash });
    expect(rest.loaded()).toEqual(['lp_2']);
    const top = await canary.checkIn();
    expect(top.plan.sets[0]?.to).toBe(V(3));
    expect(top.applied).toMatchObject({ outcome: 'ok', planHash: top.plan.planHash });
    expect(canary.loaded()).toEqual(['lp_3']);
  });

  it('a pinned agent applies the pinned version', async () => {
    const pinned = machine(3, secrets.rest);
    const first = await pinned.checkIn('never');
    const pin = { host: first.hostId, component: 'kernel', replaceSet: 0, to: V(1) };
    expect((await call('PUT', '/v1/pins', pin)).status).toBe(200);
    const applied = await pinned.checkIn();
    expect(applied.applied).toMatchObject({ outcome: 'ok', planHash: applied.plan.planHash });
    expect(pinned.loaded()).toEqual(['lp_1']);
  });
});
