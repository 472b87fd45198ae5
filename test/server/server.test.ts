import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import type { FleetStore } from '../../src/store/index.js';
import { BUILD, eventBody, reportBody, SHA_A2, writeRepository } from '../support/fleet-fixtures.js';
import { openServerStore } from '../support/server-store.js';

const NOW = Date.parse('2026-11-22T00:00:00Z');

let server: RunningServer;
let store: FleetStore;
const logs: string[] = [];
const tokens: Record<'admin' | 'viewer' | 'hostA' | 'hostB' | 'garbage', string> = {
  admin: '',
  viewer: '',
  hostA: '',
  hostB: '',
  garbage: 'Zm9v.YmFyYmF6cXV4cXV1eGZyb2J6eWdvdHRhZ2V0bG9uZ2Vub3VnaA',
};
const secrets = { good: '', expired: '', exhausted: '' };
let hostA = '';
let hostB = '';

async function call(
  method: string,
  path: string,
  options: { token?: string | undefined; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined && options.raw === undefined
        ? {}
        : { 'content-type': 'application/json' }),
    },
    ...(options.raw !== undefined
      ? { body: options.raw }
      : options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, body: text === '' ? undefined : json ? JSON.parse(text) : text };
}

beforeAll(async () => {
  store = await openServerStore();
  server = await startFleetServer({
    store,
    repoPath: writeRepository(),
    host: '127.0.0.1',
    port: 0,
    log: (line) => logs.push(line),
    now: () => NOW,
    // no polls: on a shared store the first would assess the hosts and log a refresh line
    repoPollMs: 0,
    // the clock stands still and the fuzz test sends hundreds of reports: the limits have a file of their own
    enrollRate: 'off',
    reportRate: 'off',
  });
  tokens.admin = await store.createToken('admin');
  tokens.viewer = await store.createToken('viewer');
  secrets.good = await store.createEnrollSecret({ labels: ['site:ams1'] });
  secrets.expired = await store.createEnrollSecret({ expires: NOW - 1, labels: [] });
  secrets.exhausted = await store.createEnrollSecret({ maxHosts: 0, labels: [] });
  const a = await call('POST', '/v1/enroll', {
    body: { secret: secrets.good, machineId: 'a'.repeat(32), hostname: 'host-a' },
  });
  const b = await call('POST', '/v1/enroll', {
    body: { secret: secrets.good, machineId: 'b'.repeat(32), hostname: 'host-b' },
  });
  expect(a.status).toBe(200);
  hostA = a.body.id;
  tokens.hostA = a.body.token;
  hostB = b.body.id;
  tokens.hostB = b.body.token;
  // 256 random bits, base64url: 43 characters after the id
  expect(tokens.hostA.split('.')[1]).toMatch(/^[A-Za-z0-9_-]{43}$/);
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('the authorization matrix', () => {
  const who = ['none', 'garbage', 'viewer', 'admin', 'hostA', 'hostB'] as const;
  const tokenOf = (w: (typeof who)[number]) => (w === 'none' ? undefined : tokens[w]);
  /** per endpoint, the status each caller gets, in the order of `who` */
  const matrix: Array<[string, string, () => unknown, number[]]> = [
    ['GET', '/healthz', () => undefined, [200, 200, 200, 200, 200, 200]],
    ['GET', '/readyz', () => undefined, [200, 200, 200, 200, 200, 200]],
    ['POST', '/v1/hosts/{A}/report', () => reportBody({ seq: Date.now() }), [401, 401, 403, 403, 200, 403]],
    ['GET', '/v1/hosts/{A}/plan', () => undefined, [401, 401, 200, 200, 200, 403]],
    ['GET', '/v1/hosts', () => undefined, [401, 401, 200, 200, 403, 403]],
    ['GET', '/v1/hosts/{A}', () => undefined, [401, 401, 200, 200, 403, 403]],
    ['GET', '/v1/summary', () => undefined, [401, 401, 200, 200, 403, 403]],
    ['GET', '/v1/builds', () => undefined, [401, 401, 200, 200, 403, 403]],
    ['GET', `/v1/files/${'0'.repeat(64)}`, () => undefined, [401, 401, 403, 403, 404, 404]],
    ['POST', '/v1/hosts/{A}/events', () => eventBody(), [401, 401, 403, 403, 200, 403]],
    ['POST', '/v1/repository/refresh', () => undefined, [401, 401, 403, 200, 403, 403]],
    ['GET', '/metrics', () => undefined, [401, 401, 200, 200, 403, 403]],
    ['GET', '/v1/openapi.json', () => undefined, [200, 200, 200, 200, 200, 200]],
    ['GET', '/v1/tokens', () => undefined, [401, 401, 403, 200, 403, 403]],
    ['GET', '/v1/enroll-secrets', () => undefined, [401, 401, 403, 200, 403, 403]],
  ];
  for (const [method, path, body, expected] of matrix)
    it(`${method} ${path}`, async () => {
      const got: number[] = [];
      for (const w of who)
        got.push(
          (await call(method, path.replace('{A}', hostA), { token: tokenOf(w), body: body() })).status,
        );
      expect(got).toEqual(expected);
    });

  // The deleting endpoints, each on a target of its own: every caller but the admin is refused and
  // the target stays; then the admin's call succeeds, and a second one is 404.
  const deleting: Array<[string, () => Promise<{ path: string; stays: () => Promise<boolean> }>]> = [
    [
      'DELETE /v1/tokens/{id}',
      async () => {
        const token = await store.createToken('viewer');
        return {
          path: `/v1/tokens/${token.split('.')[0]}`,
          stays: async () => (await call('GET', '/v1/summary', { token })).status === 200,
        };
      },
    ],
    [
      'DELETE /v1/enroll-secrets/{id}',
      async () => {
        const secret = await store.createEnrollSecret({ labels: [] });
        return {
          path: `/v1/enroll-secrets/${secret.split('.')[0]}`,
          stays: async () => (await store.listEnrollSecrets()).some((s) => s.id === secret.split('.')[0]),
        };
      },
    ],
    [
      'DELETE /v1/hosts/{id}',
      async () => {
        const enrolled = await call('POST', '/v1/enroll', {
          body: { secret: secrets.good, machineId: 'd'.repeat(32), hostname: 'host-d' },
        });
        return {
          path: `/v1/hosts/${enrolled.body.id}`,
          stays: async () => (await store.authenticate(enrolled.body.token)) !== undefined,
        };
      },
    ],
  ];
  for (const [name, target] of deleting)
    it(name, async () => {
      const { path, stays } = await target();
      const got: number[] = [];
      for (const w of ['none', 'garbage', 'viewer', 'hostA', 'hostB'] as const)
        got.push((await call('DELETE', path, { token: tokenOf(w) })).status);
      expect(got).toEqual([401, 401, 403, 403, 403]);
      expect(await stays()).toBe(true);
      expect((await call('DELETE', path, { token: tokens.admin })).status).toBe(200);
      expect(await stays()).toBe(false);
      expect((await call('DELETE', path, { token: tokens.admin })).status).toBe(404);
    });

  it('POST /v1/enroll: only a known, unexpired secret with hosts left enrolls; any bearer token is ignored', async () => {
    const enroll = (secret: string, token?: string) =>
      call('POST', '/v1/enroll', { token, body: { secret, machineId: 'c'.repeat(32), hostname: 'c' } });
    expect((await enroll(secrets.expired)).status).toBe(401);
    expect((await enroll(secrets.exhausted)).status).toBe(401);
    expect((await enroll(tokens.garbage)).status).toBe(401);
    expect((await enroll(tokens.admin)).status).toBe(401);
    expect((await enroll(secrets.exhausted, tokens.admin)).status).toBe(401);
    expect((await enroll(secrets.good)).status).toBe(200);
  });

  it('a host token of one host cannot read another host plan; an unknown host is 404 for readers', async () => {
    expect((await call('GET', `/v1/hosts/${hostB}/plan`, { token: tokens.hostA })).status).toBe(403);
    expect((await call('GET', '/v1/hosts/no-such-host', { token: tokens.viewer })).status).toBe(404);
    expect(
      (await call('POST', '/v1/hosts/no-such-host/report', { token: tokens.hostA, body: reportBody() }))
        .status,
    ).toBe(403);
  });
});

/** A request whose body the test controls byte by byte: the answer's status, and whether the body was sent. */
function rawRequest(
  path: string,
  headers: Record<string, string | number>,
  chunks: Buffer[],
): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      if (chunks.length === 0) req.destroy();
    });
    req.on('error', (error) =>
      String(error).includes('EPIPE') || String(error).includes('ECONNRESET') ? undefined : reject(error),
    );
    for (const chunk of chunks) req.write(chunk);
    // the request is left open when a test sends less than it declared: the server must answer anyway
    if (chunks.length > 0) req.end();
    else req.flushHeaders();
  });
}

describe('bodies', () => {
  it('is refused before the body is read: no token and a declared 2 MiB body that never comes is 401', async () => {
    const status = await rawRequest(`/v1/hosts/${hostA}/report`, { 'content-length': 2 * 1024 * 1024 }, []);
    expect(status).toBe(401);
  }, 5000);

  it('a declared body over 1 MiB is 413 with the right token, before it is sent', async () => {
    const status = await rawRequest(
      `/v1/hosts/${hostA}/report`,
      { 'content-length': 1024 * 1024 + 1, authorization: `Bearer ${tokens.hostA}` },
      [],
    );
    expect(status).toBe(413);
  }, 5000);

  it('a chunked body that grows past 1 MiB is 413', async () => {
    const status = await rawRequest(
      `/v1/hosts/${hostA}/report`,
      { 'transfer-encoding': 'chunked', authorization: `Bearer ${tokens.hostA}` },
      Array.from({ length: 17 }, () => Buffer.alloc(64 * 1024, 0x20)),
    );
    expect(status).toBe(413);
  });

  it('a malformed body is 400 with the path of the bad field, never 500', async () => {
    const bad = reportBody({ seq: 5 });
    (bad.status as { patches: unknown[] }).patches = [{ name: 'p', enabled: 1 }];
    const answer = await call('POST', `/v1/hosts/${hostA}/report`, { token: tokens.hostA, body: bad });
    expect(answer).toMatchObject({ status: 400, body: { path: 'status.patches.0.enabled' } });
    const notJson = await call('POST', `/v1/hosts/${hostA}/report`, { token: tokens.hostA, raw: '{"seq":' });
    expect(notJson).toMatchObject({ status: 400, body: { path: '' } });
    for (const body of [
      null,
      [],
      'x',
      1,
      { ...reportBody(), machineId: 'A'.repeat(32) },
      { ...reportBody(), interval: 0 },
    ])
      expect((await call('POST', `/v1/hosts/${hostA}/report`, { token: tokens.hostA, body })).status).toBe(
        400,
      );
    const enroll = await call('POST', '/v1/enroll', { body: { secret: 's', machineId: 'x', hostname: 'h' } });
    expect(enroll).toMatchObject({ status: 400, body: { path: 'machineId' } });
  });

  it('a body that repeats a key in one object is 400 with the path of the repeated key', async () => {
    const body = JSON.stringify(reportBody({ seq: 6 }));
    const top = await call('POST', `/v1/hosts/${hostA}/report`, {
      token: tokens.hostA,
      raw: body.replace(/^\{/, '{"seq":7,'),
    });
    expect(top).toMatchObject({ status: 400, body: { path: 'seq' } });
    expect(top.body.error).toContain('"seq"');
    const nested = await call('POST', `/v1/hosts/${hostA}/report`, {
      token: tokens.hostA,
      raw: '{"status":{"patches":[{"name":"a"},{"name":"a","enabled":true,"name":"b"}]}}',
    });
    expect(nested).toMatchObject({ status: 400, body: { path: 'status.patches.1.name' } });
    const enroll = await call('POST', '/v1/enroll', { raw: '{"secret":"s","secret":"t"}' });
    expect(enroll).toMatchObject({ status: 400, body: { path: 'secret' } });
  });

  it('unknown paths are 404, a wrong method 405, a bad query 400 with the parameter', async () => {
    expect((await call('GET', '/v1/nothing', { token: tokens.admin })).status).toBe(404);
    expect((await call('DELETE', '/v1/summary', { token: tokens.admin })).status).toBe(405);
    expect(await call('GET', '/v1/hosts?limit=5000', { token: tokens.viewer })).toMatchObject({
      status: 400,
      body: { path: 'limit' },
    });
    expect(await call('GET', '/v1/hosts?checkinAge=soon', { token: tokens.viewer })).toMatchObject({
      status: 400,
      body: { path: 'checkinAge' },
    });
  });
});

describe('reports, hosts and the summary', () => {
  it('a report is answered with the host plan, which GET /v1/hosts/{id}/plan shows too', async () => {
    const seq = 10_000_000_000_000;
    const answer = await call('POST', `/v1/hosts/${hostB}/report`, {
      token: tokens.hostB,
      body: reportBody({ seq }),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.steps).toEqual([
      { op: 'load', patch: 'lp_a', version: '6.12.117-1.2', sha256: SHA_A2 },
    ]);
    expect(answer.body.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await call('GET', `/v1/hosts/${hostB}/plan`, { token: tokens.hostB })).body).toEqual(answer.body);
    // the same seq again is not stored again, and answers the same plan
    const again = await call('POST', `/v1/hosts/${hostB}/report`, {
      token: tokens.hostB,
      body: reportBody({ seq }),
    });
    expect(again.body).toEqual(answer.body);
  });

  it('GET /v1/hosts/{id} has host, report, plan and events; the host in the list shape', async () => {
    const detail = await call('GET', `/v1/hosts/${hostB}`, { token: tokens.viewer });
    expect(Object.keys(detail.body).sort()).toEqual(['events', 'host', 'plan', 'report']);
    expect(Object.keys(detail.body.host).sort()).toEqual(
      ['buildId', 'conflict', 'hostname', 'id', 'labels', 'lastSeen', 'reboot', 'release', 'status'].sort(),
    );
    expect(detail.body.host).toMatchObject({
      conflict: null,
      id: hostB,
      hostname: 'host-b',
      buildId: BUILD,
      release: '6.12.117+deb12-amd64',
      status: 'kernel-end-of-life',
      reboot: 'yes',
      lastSeen: new Date(NOW).toISOString(),
      labels: ['site:ams1'],
    });
    const list = await call('GET', '/v1/hosts?status=kernel-end-of-life&label=site:ams1', {
      token: tokens.viewer,
    });
    expect(list.body.hosts.map((h: { id: string }) => h.id)).toContain(hostB);
    expect(list.body.next).toBeNull();
    expect((await call('GET', '/v1/hosts?status=supported', { token: tokens.viewer })).body).toEqual({
      hosts: [],
      next: null,
    });
  });

  it('GET /v1/hosts?q= searches hostnames and ids: a prefix, or with match=substring any part', async () => {
    const names = async (query: string) =>
      (
        (await call('GET', `/v1/hosts?${query}`, { token: tokens.viewer })).body.hosts as Array<{
          hostname: string;
        }>
      )
        .map((h) => h.hostname)
        .sort();
    expect(await names('q=HOST-B')).toEqual(['host-b']);
    expect(await names('q=st-b')).toEqual([]);
    expect(await names('q=st-b&match=prefix')).toEqual([]);
    expect(await names('q=ST-B&match=substring')).toEqual(['host-b']);
    expect(await names(`q=${hostB.slice(4, 13)}&match=substring`)).toEqual(['host-b']);
    expect(await names(`q=${hostB.slice(0, 8)}`)).toEqual(['host-b']);
    expect(await call('GET', '/v1/hosts?q=x&match=regex', { token: tokens.viewer })).toMatchObject({
      status: 400,
      body: { path: 'match' },
    });
    expect(await call('GET', '/v1/hosts?q=', { token: tokens.viewer })).toMatchObject({
      status: 400,
      body: { path: 'q' },
    });
  });

  it('GET /v1/summary has exactly the fields of the issue', async () => {
    const summary = (await call('GET', '/v1/summary', { token: tokens.admin })).body;
    expect(Object.keys(summary).sort()).toEqual(['builds', 'hosts', 'reboot', 'silent', 'status']);
    expect(Object.keys(summary.status).sort()).toEqual(
      ['kernel-end-of-life', 'kernel-upgrade-required', 'supported', 'unknown', 'unsupported'].sort(),
    );
    expect(Object.keys(summary.reboot).sort()).toEqual(['no', 'yes', 'yes-livepatch-covered']);
    expect(summary.builds[0]).toEqual({
      buildId: BUILD,
      release: '6.12.117+deb12-amd64',
      hosts: summary.hosts,
      status: 'kernel-end-of-life',
      expires: '2027-03-01',
    });
  });

  it('logs one JSON line per request, with no token in it', async () => {
    const before = logs.length;
    await call('GET', '/v1/summary', { token: tokens.admin });
    await call('GET', '/v1/hosts?label=site:ams1', { token: tokens.viewer });
    expect(logs.length).toBe(before + 2);
    const line = JSON.parse(logs[before]!);
    expect(line).toMatchObject({ method: 'GET', path: '/v1/summary', status: 200, who: 'admin' });
    const all = logs.join('\n');
    for (const t of [tokens.admin, tokens.viewer, tokens.hostA, tokens.hostB, secrets.good])
      expect(all.includes(t.split('.')[1]!)).toBe(false);
    expect(logs.every((l) => typeof JSON.parse(l).status === 'number')).toBe(true);
  });
});

describe('clone detection', () => {
  it('a report of a seq already used, from another boot, is 409 conflict; the host shows it and one event', async () => {
    const enrolled = await call('POST', '/v1/enroll', {
      body: { secret: secrets.good, machineId: 'c'.repeat(32), hostname: 'host-c' },
    });
    const { id, token } = enrolled.body as { id: string; token: string };
    const post = (seq: number, bootId: string) =>
      call('POST', `/v1/hosts/${id}/report`, { token, body: reportBody({ seq, bootId }) });
    expect((await post(7, 'boot-one')).status).toBe(200);
    const clone = await post(7, 'boot-two');
    expect(clone.status).toBe(409);
    expect(clone.body).toMatchObject({ conflict: true, error: expect.stringContaining("this host's token") });
    expect((await post(8, 'boot-one')).status).toBe(200); // the first machine goes on
    expect((await post(8, 'boot-two')).status).toBe(409);
    const detail = await call('GET', `/v1/hosts/${id}`, { token: tokens.viewer });
    expect(detail.body.host.conflict).toMatch(
      /^report 7 from boot boot-two is not above report 7 from boot boot-one/,
    );
    expect(detail.body.report).toMatchObject({ seq: 8, bootId: 'boot-one' });
    expect(detail.body.events.filter((e: { kind: string }) => e.kind === 'conflict')).toHaveLength(1);
  });
});

describe('bad input never gets a 500', () => {
  it('random bodies and mutated reports get 200 or 400 (409 for another boot id: a clone); random query strings 200 or 400', async () => {
    const fc = await import('fast-check');
    const field = fc.constantFrom(
      'schemaVersion',
      'machineId',
      'bootId',
      'buildId',
      'seq',
      'interval',
      'status',
      'kmp',
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.tuple(field, fc.jsonValue())), async (input) => {
        const body =
          Array.isArray(input) &&
          input.length === 2 &&
          typeof input[0] === 'string' &&
          input[0] in reportBody()
            ? { ...reportBody({ seq: 1 }), [input[0] as string]: input[1] }
            : input;
        const { status } = await call('POST', `/v1/hosts/${hostA}/report`, { token: tokens.hostA, body });
        // seq 1 again from a boot id other than the stored report's cannot be the same machine
        return (
          status === 200 ||
          status === 400 ||
          (status === 409 && Array.isArray(input) && input[0] === 'bootId')
        );
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom('status', 'label', 'limit', 'cursor', 'checkinAge', 'silent', 'x'),
            fc.string(),
          ),
        ),
        async (pairs) => {
          const { status } = await call('GET', `/v1/hosts?${new URLSearchParams(pairs)}`, {
            token: tokens.viewer,
          });
          return status === 200 || status === 400;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('metrics', () => {
  it('GET /metrics is the Prometheus text format: requests per route template, reports, hosts, refreshes', async () => {
    await call('GET', '/v1/summary', { token: tokens.viewer });
    await call('POST', `/v1/hosts/${hostA}/report`, { token: tokens.hostA, body: reportBody({ seq: 1 }) });
    await call('POST', '/v1/repository/refresh', { token: tokens.admin });
    await call('GET', `/v1/hosts/${hostA}`, { token: tokens.viewer });
    await call('GET', `/v1/no/such/${hostA}`, { token: tokens.viewer });
    const answer = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    expect(text).toMatch(
      /^klpm_http_requests_total\{method="GET",route="\/v1\/summary",status="200"\} \d+$/m,
    );
    expect(text).toMatch(
      /^klpm_http_request_duration_seconds_bucket\{le="0\.05",method="GET",route="\/v1\/summary",status="200"\} \d+$/m,
    );
    expect(text).toContain('route="/v1/hosts/{id}"');
    expect(text).toContain('route="unmatched"');
    expect(text).toMatch(/^klpm_reports_ingested_total\{result="(stored|stale)"\} [1-9]\d*$/m);
    expect(text).toMatch(/^klpm_repository_refreshes_total\{result="ok"\} [1-9]\d*$/m);
    const summary = (await call('GET', '/v1/summary', { token: tokens.admin })).body;
    for (const [status, n] of Object.entries(summary.status))
      expect(text).toContain(`klpm_hosts{status="${status}"} ${n}`);
    for (const [reboot, n] of Object.entries(summary.reboot))
      expect(text).toContain(`klpm_hosts_reboot{reboot="${reboot}"} ${n}`);
    expect(text).toContain(`klpm_hosts_silent ${summary.silent}`);
    expect(text).toMatch(/^klpm_process_resident_memory_bytes \d+/m);
    // no host id, token or secret is a label or a value
    for (const secret of [hostA, hostB, tokens.admin, tokens.viewer, tokens.hostA, secrets.good])
      expect(text.includes(secret)).toBe(false);
    expect(text.includes(tokens.hostA.split('.')[1]!)).toBe(false);
  });
});

describe('the OpenAPI document', () => {
  it('GET /v1/openapi.json needs no token and is the document generated from the route table', async () => {
    const { API_VERSION, openApiDocument, routes } = await import('../../src/server/index.js');
    const answer = await call('GET', '/v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(JSON.parse(JSON.stringify(openApiDocument(routes, API_VERSION))));
  });
});

describe('admin endpoints', () => {
  it('GET /v1/tokens and /v1/enroll-secrets list ids and terms, never a secret', async () => {
    const listed = await call('GET', '/v1/tokens', { token: tokens.admin });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens).toEqual(
      expect.arrayContaining([
        { id: tokens.admin.split('.')[0], role: 'admin', createdAt: expect.any(String) },
        { id: tokens.viewer.split('.')[0], role: 'viewer', createdAt: expect.any(String) },
      ]),
    );
    const secretList = await call('GET', '/v1/enroll-secrets', { token: tokens.admin });
    expect(secretList.body.secrets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: secrets.good.split('.')[0], labels: ['site:ams1'], maxHosts: null }),
        expect.objectContaining({ id: secrets.exhausted.split('.')[0], maxHosts: 0, used: 0 }),
      ]),
    );
    const text = JSON.stringify([listed.body, secretList.body]);
    for (const t of [tokens.admin, tokens.viewer, secrets.good, secrets.expired, secrets.exhausted])
      expect(text.includes(t.split('.')[1]!)).toBe(false);
  });

  it('a deleted host\'s next report is 401 with "reenroll": true; a reader\'s 401 does not say so', async () => {
    const enrolled = await call('POST', '/v1/enroll', {
      body: { secret: secrets.good, machineId: 'e'.repeat(32), hostname: 'host-e' },
    });
    const id = enrolled.body.id as string;
    const report = () =>
      call('POST', `/v1/hosts/${id}/report`, { token: enrolled.body.token, body: reportBody({ seq: 1 }) });
    expect((await report()).status).toBe(200);
    expect((await call('DELETE', `/v1/hosts/${id}`, { token: tokens.admin })).body).toEqual({
      deleted: true,
    });
    expect(await report()).toMatchObject({ status: 401, body: { reenroll: true } });
    expect(
      (await call('GET', `/v1/files/${'0'.repeat(64)}`, { token: enrolled.body.token })).body,
    ).toMatchObject({
      reenroll: true,
    });
    expect((await call('GET', `/v1/hosts/${id}`, { token: tokens.viewer })).status).toBe(404);
    const reader = await call('GET', '/v1/summary', { token: tokens.garbage });
    expect(reader.status).toBe(401);
    expect(reader.body.reenroll).toBeUndefined();
    // enrolling again makes it a new host
    const again = await call('POST', '/v1/enroll', {
      body: { secret: secrets.good, machineId: 'e'.repeat(32), hostname: 'host-e' },
    });
    expect(again.status).toBe(200);
    expect(again.body.id).not.toBe(id);
  });

  it('ids that are not ids are 404, never 500', async () => {
    for (const path of [
      '/v1/tokens/a.b',
      '/v1/tokens/',
      `/v1/tokens/${'x'.repeat(65)}`,
      '/v1/enroll-secrets/%00',
    ])
      expect((await call('DELETE', path, { token: tokens.admin })).status).toBe(404);
    expect((await call('DELETE', '/v1/tokens/no_such-token', { token: tokens.admin })).status).toBe(404);
  });
});

describe('bad input to the admin endpoints never gets a 500', () => {
  it('random ids for the deleting endpoints get 404 (or 405 for a path no route takes)', async () => {
    const fc = await import('fast-check');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/tokens/', '/v1/enroll-secrets/', '/v1/hosts/'),
        fc.string({ maxLength: 80 }),
        async (prefix, id) => {
          const { status } = await call('DELETE', `${prefix}${encodeURIComponent(id)}`, {
            token: tokens.admin,
          });
          return status === 404 || status === 405;
        },
      ),
      { numRuns: 200 },
    );
  });
});
