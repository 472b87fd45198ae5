import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { rolloutViewSchema } from '../../src/server/rollout-routes.js';
import type { FleetStore } from '../../src/store/index.js';
import { eventBody, reportBody, writeRepository } from '../support/fleet-fixtures.js';
import { R_BUILD, R_OTHER, rolloutRepositoryJson, statusWith } from '../support/rollout-fixtures.js';
import { openServerStore } from '../support/server-store.js';

// Rollouts through the real HTTP server, with simulated agents posting reports and events
// (docs/fleet.md, "Rollouts"). rollout-postgres.test.ts runs the same file over PostgreSQL.

const V1 = '6.12.117-1.1';
const V2 = '6.12.117-1.2';
const V3 = '6.12.117-1.3';
const SECRET = Buffer.from('webhook key of the test\n');

let clock = Date.parse('2026-11-22T00:00:00Z');
let server: RunningServer;
let store: FleetStore;
let admin = '';
let viewer = '';
let receiver: Server;
let receiverUrl = '';
const received: Array<{ body: string; signature: string | undefined; status: number }> = [];
/** the receiver answers 500 to the first delivery of each event, 200 to the next */
const failedOnce = new Set<string>();

interface Agent {
  id: string;
  token: string;
  seq: number;
}
let canary: Agent;
const rest: Agent[] = [];
let outside: Agent;
let outsideHash = '';

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: a test reads the answers field by field
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as any) };
}

async function enroll(secret: string, name: string): Promise<Agent> {
  const answer = await call('POST', '/v1/enroll', undefined, {
    secret,
    machineId: Buffer.from(name.padEnd(16, '-')).toString('hex').slice(0, 32),
    hostname: name,
  });
  expect(answer.status).toBe(200);
  return { id: answer.body.id, token: answer.body.token, seq: 0 };
}

/** The agent's check-in with `loaded` enabled: answered with its plan. */
async function report(agent: Agent, loaded: string | null, buildId = R_BUILD) {
  agent.seq += 1;
  const body = { ...reportBody({ seq: agent.seq, buildId }), status: statusWith(loaded, buildId) };
  const answer = await call('POST', `/v1/hosts/${agent.id}/report`, agent.token, body);
  expect(answer.status).toBe(200);
  return answer.body;
}

const offered = (plan: { sets: Array<{ replaceSet: number; to: string | null }> }) =>
  plan.sets.find((s) => s.replaceSet === 0)?.to ?? null;

async function until(what: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const eventId = (JSON.parse(body) as { id: string }).id;
      const status = failedOnce.has(eventId) ? 200 : 500;
      failedOnce.add(eventId);
      received.push({ body, signature: req.headers['x-klpm-signature'] as string | undefined, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  store = await openServerStore();
  server = await startFleetServer({
    store,
    repoPath: writeRepository(rolloutRepositoryJson()),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => clock,
    enrollRate: 'off',
    reportRate: 'off',
    repoPollMs: 0,
    tickMs: 20,
    webhooks: { urls: [receiverUrl], secret: SECRET, retryMs: 30 },
    webhookExpiryDays: 60,
    expiryCheckMs: 10,
  });
  admin = await store.createToken('admin');
  viewer = await store.createToken('viewer');
  const canarySecret = await store.createEnrollSecret({ labels: ['canary:yes'] });
  const restSecret = await store.createEnrollSecret({ labels: ['site:ams1'] });
  canary = await enroll(canarySecret, 'canary-1');
  for (let i = 0; i < 8; i++) rest.push(await enroll(restSecret, `web-${i}`));
  outside = await enroll(restSecret, 'old-build');
  for (const agent of [canary, ...rest]) await report(agent, 'lp_1');
  outsideHash = (await report(outside, null, R_OTHER)).planHash;
});

afterAll(async () => {
  await server.close();
  await store.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const rolloutBody = {
  component: 'kernel',
  replaceSet: 0,
  to: V3,
  waves: [
    { name: 'canary', select: { label: 'canary:yes' }, failureBudget: 0, soak: '0s', deadline: '1h' },
    { name: 'rest', select: { percent: 100 }, failureBudget: '25%', soak: '10m', deadline: '1h' },
  ],
};
let id = '';

describe('a rollout through the API', () => {
  it('without a rollout every host is offered the newest; a pin holds a host back until removed', async () => {
    expect(offered(await report(rest[0]!, 'lp_1'))).toBe(V3);
    const pin = { host: rest[0]!.id, component: 'kernel', replaceSet: 0, to: V2 };
    expect((await call('PUT', '/v1/pins', viewer, pin)).status).toBe(403);
    expect((await call('PUT', '/v1/pins', admin, pin)).status).toBe(200);
    expect((await call('GET', '/v1/pins', viewer)).body.pins).toMatchObject([
      { target: { host: rest[0]!.id }, to: V2 },
    ]);
    expect(offered(await report(rest[0]!, 'lp_1'))).toBe(V2);
    expect(offered((await call('GET', `/v1/hosts/${rest[0]!.id}/plan`, viewer)).body)).toBe(V2);
    const key = `host=${rest[0]!.id}&component=kernel&replaceSet=0`;
    expect((await call('DELETE', `/v1/pins?${key}`, viewer)).status).toBe(403);
    expect((await call('DELETE', `/v1/pins?${key}`, admin)).status).toBe(200);
    expect(
      (await call('DELETE', '/v1/pins', admin, { host: rest[0]!.id, component: 'kernel', replaceSet: 0 }))
        .status,
    ).toBe(404);
    expect(offered(await report(rest[0]!, 'lp_1'))).toBe(V3);
  });

  it('a viewer may not start one; a bad body is 400 with the path; an admin starts it, a second is 409', async () => {
    expect((await call('POST', '/v1/rollouts', viewer, rolloutBody)).status).toBe(403);
    const bad = await call('POST', '/v1/rollouts', admin, {
      ...rolloutBody,
      waves: [{ ...rolloutBody.waves[0], soak: 'soon' }],
    });
    expect(bad).toMatchObject({ status: 400, body: { path: 'waves.0.soak' } });
    const started = await call('POST', '/v1/rollouts', admin, rolloutBody);
    expect(started.status).toBe(200);
    id = started.body.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('POST', '/v1/rollouts', admin, rolloutBody)).status).toBe(409);
    const view = (await call('GET', `/v1/rollouts/${id}`, viewer)).body;
    expect(view).toMatchObject({ id, state: 'running', to: V3, outOfScope: [outside.id] });
    expect(view.waves).toMatchObject([
      { name: 'canary', state: 'open', hosts: 1, applied: 0, failed: 0, pending: 1, failures: [] },
      { name: 'rest', state: 'pending', hosts: 8, applied: 0, failed: 0, pending: 8 },
    ]);
    expect(
      (await call('GET', '/v1/rollouts', viewer)).body.rollouts.map((r: { id: string }) => r.id),
    ).toEqual([id]);
  });

  it('the canary is offered the version, the others the newest before it', async () => {
    expect(offered(await report(canary, 'lp_1'))).toBe(V3);
    expect(offered(await report(rest[1]!, 'lp_1'))).toBe(V2);
    expect(offered((await call('GET', `/v1/hosts/${rest[2]!.id}/plan`, viewer)).body)).toBe(V2);
    // answered V3 before the rollout, its host page shows the gated plan
    expect(offered((await call('GET', `/v1/hosts/${rest[2]!.id}`, viewer)).body.plan)).toBe(V2);
  });

  it('the canary failing halts the rollout, naming the host; the webhook comes signed, after a retry, once', async () => {
    const ev = eventBody({
      outcome: 'failed',
      step: { index: 0, op: 'load', patch: 'lp_3' },
      reason: 'insmod: Invalid argument',
    });
    expect((await call('POST', `/v1/hosts/${canary.id}/events`, canary.token, ev)).status).toBe(200);
    const view = (await call('GET', `/v1/rollouts/${id}`, viewer)).body;
    expect(view.state).toBe('halted');
    expect(view.reason).toContain(canary.id);
    expect(view.reason).toContain('insmod: Invalid argument');
    expect(view.haltedHosts).toEqual([canary.id]);
    // the answer is what the OpenAPI document says it is
    expect(rolloutViewSchema.safeParse(view).error).toBeUndefined();
    expect(view.waves[0]).toMatchObject({ failed: 1, failures: [{ host: canary.id }] });
    // the rest stays below the version while halted
    expect(offered(await report(rest[1]!, 'lp_1'))).toBe(V2);
    await until(() => received.some((r) => r.status === 200));
    const halted = received.filter((r) => JSON.parse(r.body).kind === 'rollout.halted');
    expect(halted.map((r) => r.status)).toEqual([500, 200]);
    for (const r of halted) {
      expect(r.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
      expect(JSON.parse(r.body)).toMatchObject({ kind: 'rollout.halted', rollout: { id, state: 'halted' } });
      expect(JSON.parse(r.body).id).toBe(JSON.parse(halted[0]!.body).id);
    }
    // more steps, more ticks: no second delivery of the same event
    await call('GET', `/v1/rollouts/${id}`, viewer);
    await new Promise((r) => setTimeout(r, 200));
    expect(received.filter((r) => JSON.parse(r.body).kind === 'rollout.halted')).toHaveLength(2);
  });

  it('a viewer may not resume; the admin resumes, which acknowledges the failure and opens the next wave', async () => {
    expect((await call('POST', `/v1/rollouts/${id}/resume`, viewer)).status).toBe(403);
    const resumed = await call('POST', `/v1/rollouts/${id}/resume`, admin);
    expect(resumed.status).toBe(200);
    expect(resumed.body.state).toBe('running');
    expect(resumed.body.waves.map((w: { state: string }) => w.state)).toEqual(['done', 'open']);
    // rest[1] was answered V2 at its last report; its host page plans again
    expect(offered((await call('GET', `/v1/hosts/${rest[1]!.id}`, viewer)).body.plan)).toBe(V3);
    expect(offered(await report(rest[1]!, 'lp_1'))).toBe(V3);
    expect(offered((await call('GET', `/v1/hosts/${rest[3]!.id}/plan`, viewer)).body)).toBe(V3);
    expect((await call('POST', `/v1/rollouts/${id}/resume`, admin)).status).toBe(409);
  });

  it('the wave completes when its hosts applied and the soak passed; then the rollout is done', async () => {
    for (const agent of rest) await report(agent, 'lp_3');
    let view = (await call('GET', `/v1/rollouts/${id}`, viewer)).body;
    expect(view.waves[1]).toMatchObject({ state: 'soaking', applied: 8, pending: 0 });
    clock += 11 * 60_000;
    view = (await call('GET', `/v1/rollouts/${id}`, viewer)).body;
    expect(view.state).toBe('done');
    await until(() => received.some((r) => JSON.parse(r.body).kind === 'rollout.done' && r.status === 200));
  });

  it('a rollback plans every host of the opened waves back to what it ran, with the downgrade steps', async () => {
    expect((await call('POST', `/v1/rollouts/${id}/rollback`, viewer)).status).toBe(403);
    const back = await call('POST', `/v1/rollouts/${id}/rollback`, admin);
    expect(back.body.state).toBe('rolled-back');
    const plan = await report(rest[4]!, 'lp_3');
    expect(plan.request).toEqual({ type: 'rollback', to: V1 });
    const ops = plan.steps.map((s: { op: string }) => s.op);
    expect(ops).toContain('load');
    expect(plan.steps.find((s: { op: string }) => s.op === 'load').patch).toBe('lp_1');
    // once back, nothing more
    expect((await report(rest[4]!, 'lp_1')).steps).toEqual([]);
    // the host outside the scope has the plan it had before the rollout
    expect((await report(outside, null, R_OTHER)).planHash).toBe(outsideHash);
  });

  it('a build whose coverage ends within the window is announced once, signed', async () => {
    await until(() =>
      received.some((r) => JSON.parse(r.body).kind === 'coverage.ending' && r.status === 200),
    );
    await new Promise((r) => setTimeout(r, 200));
    const ending = received.filter((r) => JSON.parse(r.body).kind === 'coverage.ending');
    expect(ending.map((r) => r.status)).toEqual([500, 200]);
    expect(JSON.parse(ending[1]!.body)).toMatchObject({
      buildId: R_BUILD,
      expires: '2026-12-20',
      withinDays: 60,
    });
    expect(ending[1]!.signature).toBe(
      `sha256=${createHmac('sha256', SECRET).update(ending[1]!.body).digest('hex')}`,
    );
  });

  it('the audit log has every admin change with who and when; a viewer may not read it', async () => {
    expect((await call('GET', '/v1/audit', viewer)).status).toBe(403);
    const entries = (await call('GET', '/v1/audit', admin)).body.entries as Array<{
      who: string;
      action: string;
      target: string;
      at: string;
    }>;
    const adminId = admin.split('.')[0];
    // tokens and secrets made on the database itself are there too, by `local`
    expect(
      entries
        .filter((e) => e.who === 'local')
        .map((e) => e.action)
        .sort(),
    ).toEqual(['enroll-secret.create', 'enroll-secret.create', 'token.create', 'token.create']);
    const actions = entries
      .filter((e) => e.who !== 'local')
      .map((e) => e.action)
      .reverse();
    expect(actions).toEqual([
      'PUT /v1/pins',
      'DELETE /v1/pins',
      'POST /v1/rollouts',
      'POST /v1/rollouts/{id}/resume',
      'POST /v1/rollouts/{id}/rollback',
    ]);
    expect(entries.filter((e) => e.who !== 'local').every((e) => e.who === adminId)).toBe(true);
    expect(entries.find((e) => e.action === 'POST /v1/rollouts')?.target).toBe(id);
  });

  it('a rollout named by an update rolls out the version of that update; an update without one is 422', async () => {
    const waves = [{ name: 'all', select: { percent: 100 }, failureBudget: 0, soak: '0s', deadline: '1h' }];
    const none = await call('POST', '/v1/rollouts', admin, {
      component: 'kernel',
      replaceSet: 0,
      update: 'U-9',
      waves,
    });
    expect(none).toMatchObject({ status: 422, body: { path: 'update' } });
    const byUpdate = await call('POST', '/v1/rollouts', admin, {
      component: 'kernel',
      replaceSet: 0,
      update: 'U-2',
      waves,
    });
    expect(byUpdate.status).toBe(200);
    expect(byUpdate.body).toMatchObject({ to: V2, update: 'U-2', state: 'running' });
  });
});
