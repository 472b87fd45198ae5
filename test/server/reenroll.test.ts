import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInOnce } from '../../src/agent/index.js';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { fakeRoot, writeRepository } from '../support/fleet-fixtures.js';

// End to end: an admin deletes a host (or the host's token is otherwise gone); the agent's next
// check-in gets 401 with "reenroll": true, enrolls again with its secret, and its report lands.

const NOW = Date.parse('2026-11-22T00:00:00Z');
let store: FleetStore;
let server: RunningServer;
let admin = '';
let secretFile = '';

beforeAll(async () => {
  store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'klpm-reenroll-')), 'fleet.db'));
  server = await startFleetServer({
    store,
    repoPath: writeRepository(),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => NOW,
    repoPollMs: 0,
  });
  admin = await store.createToken('admin');
  secretFile = join(mkdtempSync(join(tmpdir(), 'klpm-reenroll-secret-')), 'secret');
  writeFileSync(secretFile, await store.createEnrollSecret({ labels: [] }));
});

afterAll(async () => {
  await server.close();
  await store.close();
});

const api = async (method: string, path: string) => {
  const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${admin}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

describe('a deleted host re-enrolls', () => {
  it('the agent enrolls again on the 401 and reports under its new id', async () => {
    const root = fakeRoot({ machineId: 'f'.repeat(32), hostname: 'web-f' });
    const options = {
      server: server.url,
      enrollSecretFile: secretFile,
      root,
      interval: 600,
      apply: 'never' as const,
      now: () => NOW,
    };
    const first = await checkInOnce(options);
    expect(first.enrolled).toBe(true);
    expect((await api('GET', `/v1/hosts/${first.hostId}`)).status).toBe(200);
    // a check-in that changes nothing does not enroll
    expect((await checkInOnce(options)).enrolled).toBe(false);
    expect(await api('DELETE', `/v1/hosts/${first.hostId}`)).toEqual({
      status: 200,
      body: { deleted: true },
    });
    const second = await checkInOnce(options);
    expect(second.enrolled).toBe(true);
    expect(second.hostId).not.toBe(first.hostId);
    const detail = await api('GET', `/v1/hosts/${second.hostId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.report).toMatchObject({ machineId: 'f'.repeat(32) });
    expect((await api('GET', `/v1/hosts/${first.hostId}`)).status).toBe(404);
  });
});
