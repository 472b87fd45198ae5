import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import {
  BUILD,
  eventBody,
  reportBody,
  repositoryJson,
  supportedRepositoryJson,
  writeRepository,
} from '../support/fleet-fixtures.js';

// GET /v1/files/{sha256}, POST /v1/hosts/{id}/events, GET /v1/builds, POST /v1/repository/refresh
// and re-evaluation when the repository file changes.

const NOW = Date.parse('2026-11-22T00:00:00Z');
const MODULE = Buffer.from('not really a module, but bytes with a sha256\n');
const SHA = createHash('sha256').update(MODULE).digest('hex');

let server: RunningServer;
let store: FleetStore;
let repoPath = '';
let admin = '';
let viewer = '';
let host = { id: '', token: '' };

/** The fixture repository with lp_a 1.2's sha256 replaced by the real module's, and its file. */
function withFile(json: string): string {
  const doc = JSON.parse(json.replaceAll('a'.repeat(64), SHA));
  for (const u of doc.updates) for (const lp of u.livepatches) if (lp.sha256 === SHA) lp.file = 'lp_a-1.2.ko';
  return JSON.stringify(doc);
}

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    bytes,
    body: type.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined,
  };
}

beforeAll(async () => {
  repoPath = writeRepository(withFile(repositoryJson()));
  writeFileSync(join(dirname(repoPath), 'lp_a-1.2.ko'), MODULE);
  writeFileSync(join(dirname(repoPath), 'secret.txt'), 'not served');
  store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'klpm-server-')), 'fleet.db'));
  server = await startFleetServer({
    store,
    repoPath,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => NOW,
    repoPollMs: 50,
  });
  admin = await store.createToken('admin');
  viewer = await store.createToken('viewer');
  const secret = await store.createEnrollSecret({ labels: [] });
  const enrolled = await call('POST', '/v1/enroll', undefined, {
    secret,
    machineId: '0123456789abcdef0123456789abcdef',
    hostname: 'web-1',
  });
  host = enrolled.body;
  expect((await call('POST', `/v1/hosts/${host.id}/report`, host.token, reportBody({ seq: 1 }))).status).toBe(
    200,
  );
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('GET /v1/files/{sha256}', () => {
  it('streams the module the repository lists under that sha256, to a host token', async () => {
    const got = await call('GET', `/v1/files/${SHA}`, host.token);
    expect(got.status).toBe(200);
    expect(got.type).toBe('application/octet-stream');
    expect(createHash('sha256').update(got.bytes).digest('hex')).toBe(SHA);
  });

  it('is 404 for a sha256 the repository does not list, 400 for one that is not 64 hex digits', async () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect((await call('GET', `/v1/files/${sha('not served')}`, host.token)).status).toBe(404);
    for (const bad of [
      'abc',
      SHA.toUpperCase(),
      `${SHA}0`,
      '..%2F..%2Fsecret.txt',
      '..%2Findex.json',
      'secret.txt',
    ]) {
      const got = await call('GET', `/v1/files/${bad}`, host.token);
      expect(got.status, bad).toBe(400);
      expect(got.body.path).toBe('sha256');
    }
    expect((await call('GET', '/v1/files/../index.json', host.token)).status).toBe(404);
  });

  it('a listed entry whose file is gone is 404, never 500', async () => {
    const doc = JSON.parse(withFile(repositoryJson()));
    const gone = createHash('sha256').update('gone').digest('hex');
    doc.updates[0].livepatches[0].sha256 = gone;
    doc.updates[0].livepatches[0].file = 'gone.ko';
    writeFileSync(repoPath, JSON.stringify(doc));
    expect((await call('POST', '/v1/repository/refresh', admin)).status).toBe(200);
    expect((await call('GET', `/v1/files/${gone}`, host.token)).status).toBe(404);
    writeFileSync(repoPath, withFile(repositoryJson()));
    expect((await call('POST', '/v1/repository/refresh', admin)).status).toBe(200);
  });
});

describe('POST /v1/hosts/{id}/events', () => {
  it('stores the event, which GET /v1/hosts/{id} shows newest first', async () => {
    const body = eventBody({
      outcome: 'reversed',
      step: { index: 0, op: 'load', patch: 'lp_a' },
      reason: 'the transition did not complete',
      blocking: [{ pid: 42, comm: 'busy' }],
    });
    expect((await call('POST', `/v1/hosts/${host.id}/events`, host.token, body)).body).toEqual({
      stored: true,
    });
    const detail = await call('GET', `/v1/hosts/${host.id}`, viewer);
    const { kind: _kind, ...rest } = body;
    expect(detail.body.events[0]).toEqual({ at: new Date(NOW).toISOString(), kind: 'apply', detail: rest });
  });

  it('a bad event is 400 with the path of the bad field', async () => {
    for (const [more, path] of [
      [{ kind: 'reboot' }, 'kind'],
      [{ outcome: 'maybe' }, 'outcome'],
      [{ planHash: 'x' }, 'planHash'],
      [{ blocking: [{ pid: 'a', comm: 'x' }] }, 'blocking.0.pid'],
      [{ log: [1] }, 'log.0'],
      [{ extra: 1 }, ''],
    ] as const) {
      const got = await call('POST', `/v1/hosts/${host.id}/events`, host.token, eventBody(more));
      expect(got.status, JSON.stringify(more)).toBe(400);
      expect(got.body.path).toBe(path);
    }
  });
});

describe('GET /v1/builds and re-evaluation', () => {
  it('per build: its hosts, status, the newest livepatch of each replace set, and the end-of-life horizon', async () => {
    const { builds } = (await call('GET', '/v1/builds', viewer)).body;
    expect(builds).toEqual([
      {
        buildId: BUILD,
        release: '6.12.117+deb12-amd64',
        hosts: 1,
        status: 'kernel-end-of-life',
        repositoryStatus: 'kernel-end-of-life',
        newest: [
          {
            replaceSet: 0,
            name: 'lp_a',
            to: '6.12.117-1.2',
            sha256: SHA,
            update: 'U-2',
            expires: '2027-03-01',
          },
          { replaceSet: 1, name: 'lp_b', to: '6.12.117-1.1', sha256: null, update: 'U-3', expires: null },
        ],
        expires: '2027-03-01',
        eol: true,
      },
    ]);
  });

  it('POST /v1/repository/refresh re-reads the repository and assesses every host again', async () => {
    writeFileSync(repoPath, withFile(supportedRepositoryJson()));
    const refreshed = await call('POST', '/v1/repository/refresh', admin);
    expect(refreshed.body).toEqual({ changed: true, hosts: 1, livepatches: 2, reevaluated: true });
    const summary = (await call('GET', '/v1/summary', viewer)).body;
    expect(summary.status.supported).toBe(1);
    expect(summary.reboot.no).toBe(1);
    const plan = (await call('GET', `/v1/hosts/${host.id}/plan`, host.token)).body;
    expect(plan.sets.map((s: { replaceSet: number }) => s.replaceSet)).toEqual([0]);
    expect((await call('GET', '/v1/builds', viewer)).body.builds[0]).toMatchObject({
      status: 'supported',
      eol: false,
    });
  });

  it('a repository that cannot be read is 422 on refresh; the server keeps the one it had', async () => {
    writeFileSync(repoPath, '{"format": "nope"');
    const got = await call('POST', '/v1/repository/refresh', admin);
    expect(got.status).toBe(422);
    expect((await call('GET', '/v1/summary', viewer)).body.status.supported).toBe(1);
  });

  it('a change of the repository file is noticed without a refresh, within a bounded wait', async () => {
    writeFileSync(repoPath, withFile(repositoryJson()));
    let status = '';
    for (let i = 0; i < 100 && status !== 'kernel-end-of-life'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await call('GET', '/v1/builds', viewer)).body.builds[0].status;
    }
    expect(status).toBe('kernel-end-of-life');
    expect((await call('GET', '/v1/summary', viewer)).body.status['kernel-end-of-life']).toBe(1);
  });
});
