import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress, parseRate, type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { reportBody, writeRepository } from '../support/fleet-fixtures.js';

let now = Date.parse('2026-11-22T00:00:00Z');
let store: FleetStore;
const servers: RunningServer[] = [];
let secret = '';

const start = (more: Partial<Parameters<typeof startFleetServer>[0]>) =>
  startFleetServer({
    store,
    repoPath: writeRepository(),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => now,
    repoPollMs: 0,
    ...more,
  }).then((s) => {
    servers.push(s);
    return s;
  });

beforeAll(async () => {
  store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'klpm-rate-')), 'fleet.db'));
  secret = await store.createEnrollSecret({ labels: [] });
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await store.close();
});

let machines = 0;
const enroll = async (server: RunningServer, headers: Record<string, string> = {}) => {
  const machineId = (++machines).toString(16).padStart(32, '0');
  const r = await fetch(`${server.url}/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ secret, machineId, hostname: `h${machines}` }),
  });
  return {
    status: r.status,
    retryAfter: r.headers.get('retry-after'), // biome-ignore lint/suspicious/noExplicitAny: an answer read field by field
    body: (await r.json()) as any,
  };
};

describe('rate limits', () => {
  it('enrollment per client address: 429 with Retry-After past the limit, again after the window', async () => {
    const server = await start({ enrollRate: { count: 2, windowMs: 60_000 } });
    expect((await enroll(server)).status).toBe(200);
    expect((await enroll(server)).status).toBe(200);
    const refused = await enroll(server);
    expect(refused).toMatchObject({ status: 429, retryAfter: '60', body: { error: expect.any(String) } });
    now += 30_000;
    expect((await enroll(server)).retryAfter).toBe('30');
    now += 30_000;
    expect((await enroll(server)).status).toBe(200);
  });

  it('X-Forwarded-For counts only from a proxy the admin named', async () => {
    const direct = await start({ enrollRate: { count: 1, windowMs: 60_000 } });
    expect((await enroll(direct, { 'x-forwarded-for': '192.0.2.1' })).status).toBe(200);
    // not a named proxy: the header is ignored, both come from 127.0.0.1
    expect((await enroll(direct, { 'x-forwarded-for': '192.0.2.2' })).status).toBe(429);
    const proxied = await start({
      enrollRate: { count: 1, windowMs: 60_000 },
      trustedProxies: ['127.0.0.1'],
    });
    expect((await enroll(proxied, { 'x-forwarded-for': '192.0.2.1' })).status).toBe(200);
    expect((await enroll(proxied, { 'x-forwarded-for': '192.0.2.2' })).status).toBe(200);
    expect((await enroll(proxied, { 'x-forwarded-for': '192.0.2.1' })).status).toBe(429);
    // a client cannot hide behind an address it writes itself: the rightmost untrusted hop counts
    expect((await enroll(proxied, { 'x-forwarded-for': '198.51.100.7, 192.0.2.1' })).status).toBe(429);
  });

  it('enrollment limits can be off (the benchmark enrolls 100,000 hosts from loopback)', async () => {
    const server = await start({ enrollRate: 'off' });
    for (let i = 0; i < 80; i++) expect((await enroll(server)).status).toBe(200);
  });

  it('reports per host: 429 with Retry-After; another host is not held back; unauthenticated calls count nothing', async () => {
    const server = await start({ reportRate: { count: 2, windowMs: 60_000 }, enrollRate: 'off' });
    const a = (await enroll(server)).body;
    const b = (await enroll(server)).body;
    let seq = 0;
    const report = (host: { id: string; token: string }, token = host.token) =>
      fetch(`${server.url}/v1/hosts/${host.id}/report`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(reportBody({ seq: ++seq })),
      });
    for (let i = 0; i < 5; i++) expect((await report(a, 'x.y')).status).toBe(401);
    expect((await report(a)).status).toBe(200);
    expect((await report(a)).status).toBe(200);
    const refused = await report(a);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect((await report(b)).status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${await store.createToken('viewer')}` },
    });
    expect(await metrics.text()).toMatch(/^klpm_rate_limited_total\{limit="report"\} 1$/m);
  });
});

describe('the client address and the rate flag', () => {
  const trusted = new Set(['10.0.0.1', '10.0.0.2']);
  it('walks X-Forwarded-For from the right past named proxies only', () => {
    expect(clientAddress('::ffff:192.0.2.9', '198.51.100.1', new Set())).toBe('192.0.2.9');
    expect(clientAddress('10.0.0.1', '198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', '203.0.113.5, 198.51.100.1, 10.0.0.2', trusted)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', ['203.0.113.5', '10.0.0.2'], trusted)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.1', 'garbage, 198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', 'not-an-address', trusted)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
  });

  it('reads N/DURATION or off', () => {
    expect(parseRate('60/1m')).toEqual({ count: 60, windowMs: 60_000 });
    expect(parseRate('off')).toBeUndefined();
    for (const bad of ['60', '0/1m', '60/0s', '60/soon', '-1/1m', ''])
      expect(parseRate(bad)).toEqual({ error: expect.any(String) });
  });
});
