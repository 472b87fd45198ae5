import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { BUILD, fakeRoot, SHA_A2, writeRepository } from '../support/fleet-fixtures.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'klpm-fleet-cli-'));
const db = join(dir, 'fleet.db');
let server: RunningServer;
let store: FleetStore;

beforeAll(async () => {
  store = openSqliteStore(db);
  server = await startFleetServer({
    store,
    repoPath: writeRepository(),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
  });
});

afterAll(async () => {
  await server.close();
  await store.close();
});

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`);
  return path;
};

/** A port nothing listens on: bound, read and closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('klpm serve token|enroll create', () => {
  it('prints a token and a secret; bad flags are one line and exit 2', async () => {
    const token = await runCli(['serve', 'token', 'create', '--db', db, '--role', 'viewer', '--json']);
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ role: 'viewer' });
    expect(JSON.parse(token.stdout).token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const secret = await runCli([
      'serve',
      'enroll',
      'create',
      '--db',
      db,
      '--max-hosts',
      '3',
      '--label',
      'site:ams1',
    ]);
    expect(secret.code).toBe(0);
    expect(secret.stdout.trim()).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    for (const args of [
      ['serve', 'token', 'create', '--db', db, '--role', 'root'],
      ['serve', 'token', 'create', '--db', db],
      ['serve', 'enroll', 'create', '--db', db, '--label', 'nocolon'],
      ['serve', 'enroll', 'create', '--db', db, '--expires', 'someday'],
      ['serve', 'enroll', 'create', '--db', db, '--max-hosts', '-1'],
    ]) {
      const bad = await runCli(args);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).not.toContain('    at ');
    }
  });

  it('klpm serve refuses a non-loopback address without --insecure, and a missing --repo', async () => {
    const open = await runCli(['serve', '--db', db, '--repo', dir, '--listen', '0.0.0.0:7470']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--insecure');
    expect((await runCli(['serve', '--db', db])).stderr).toContain('--repo');
    expect((await runCli(['serve', '--db', db, '--repo', dir, '--listen', 'nowhere'])).code).toBe(2);
  });
});

describe('klpm agent once and klpm fleet', () => {
  it('enrolls, keeps its token 0600, reports the document klpm status --json prints, and prints its plan', async () => {
    const secret = (
      await runCli(['serve', 'enroll', 'create', '--db', db, '--label', 'tier:web'])
    ).stdout.trim();
    const secretFile = write('secret', secret);
    const root = fakeRoot({ hostname: 'web-7', machineId: '7'.repeat(32) });
    const first = await runCli([
      'agent',
      'once',
      '--server',
      server.url,
      '--enroll-secret',
      secretFile,
      '--root',
      root,
      '--json',
    ]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const checkIn = JSON.parse(first.stdout);
    expect(checkIn).toMatchObject({ enrolled: true, seq: 1 });
    expect(checkIn.plan.steps).toEqual([
      { op: 'load', patch: 'lp_a', version: '6.12.117-1.2', sha256: SHA_A2 },
    ]);
    const state = join(root, 'var/lib/klpm/agent/state.json');
    expect(statSync(state).mode & 0o777).toBe(0o600);

    const second = await runCli([
      'agent',
      'once',
      '--server',
      server.url,
      '--enroll-secret',
      secretFile,
      '--root',
      root,
    ]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`host ${checkIn.hostId}: report 2 stored`);
    expect(second.stdout).toContain('replace set 0: first-load to 6.12.117-1.2');
    expect(second.stdout).toContain('load lp_a 6.12.117-1.2');

    const detail = await store.host(checkIn.hostId);
    const status = JSON.parse((await runCli(['status', '--root', root, '--json'])).stdout);
    expect(detail?.report?.status).toEqual(status);
    expect(detail?.report).toMatchObject({
      machineId: '7'.repeat(32),
      buildId: BUILD,
      seq: 2,
      interval: 600,
    });
    expect(detail?.host).toMatchObject({
      hostname: 'web-7',
      labels: ['tier:web'],
      status: 'kernel-end-of-life',
    });

    const token = write(
      'viewer',
      (await runCli(['serve', 'token', 'create', '--db', db, '--role', 'viewer'])).stdout.trim(),
    );
    const hosts = await runCli([
      'fleet',
      'hosts',
      '--server',
      server.url,
      '--token',
      token,
      '--label',
      'tier:web',
      '--json',
    ]);
    expect(hosts.code).toBe(0);
    expect(JSON.parse(hosts.stdout)).toEqual({
      hosts: [
        {
          id: checkIn.hostId,
          hostname: 'web-7',
          buildId: BUILD,
          release: '6.12.117+deb12-amd64',
          status: 'kernel-end-of-life',
          reboot: 'yes',
          lastSeen: expect.any(String),
          labels: ['tier:web'],
          conflict: null,
        },
      ],
      next: null,
    });
    const text = await runCli([
      'fleet',
      'hosts',
      '--server',
      server.url,
      '--token',
      token,
      '--status',
      'supported',
    ]);
    expect(text.stdout).toBe('no hosts match\n');
    const search = (...more: string[]) =>
      runCli(['fleet', 'hosts', '--server', server.url, '--token', token, ...more]);
    expect((await search('--search', 'EB-7')).stdout).toBe('no hosts match\n');
    expect((await search('--search', 'EB-7', '--substring')).stdout).toContain(`${checkIn.hostId}  web-7  `);
    expect((await search('--search', 'WEB-')).stdout).toContain(`${checkIn.hostId}  web-7  `);
    const host = await runCli(['fleet', 'host', checkIn.hostId, '--server', server.url, '--token', token]);
    expect(host.stdout).toContain('status: kernel-end-of-life  reboot: yes');
    expect(host.stdout).toContain('event ');
    const summary = await runCli(['fleet', 'summary', '--server', server.url, '--token', token]);
    expect(summary.stdout).toContain(`build ${BUILD} (6.12.117+deb12-amd64): 1 hosts, kernel-end-of-life`);
    const json = JSON.parse(
      (await runCli(['fleet', 'summary', '--server', server.url, '--token', token, '--json'])).stdout,
    );
    expect(json).toMatchObject({ hosts: 1, silent: 0, status: { 'kernel-end-of-life': 1 } });
  });

  it('says why in one line: no server, a refused secret, bad flags, a bad token', async () => {
    const root = fakeRoot({ machineId: '8'.repeat(32) });
    const secretFile = write('bad-secret', 'nope.nope');
    const port = await closedPort();
    const down = await runCli([
      'agent',
      'once',
      '--server',
      `http://127.0.0.1:${port}`,
      '--enroll-secret',
      secretFile,
      '--root',
      root,
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^klpm: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/);
    const refused = await runCli([
      'agent',
      'once',
      '--server',
      server.url,
      '--enroll-secret',
      secretFile,
      '--root',
      root,
    ]);
    expect(refused).toMatchObject({
      code: 1,
      stderr: 'klpm: enrollment refused: 401 the enrollment secret is not known\n',
    });
    for (const args of [
      ['agent', 'once', '--enroll-secret', secretFile],
      ['agent', 'once', '--server', server.url],
      ['agent', 'once', '--server', server.url, '--enroll-secret', secretFile, '--apply', 'sometimes'],
      ['agent', 'run', '--server', server.url, '--enroll-secret', secretFile, '--interval', 'soon'],
      ['agent', 'once', '--server', server.url, '--enroll-secret', secretFile, '--interval', '10'],
      ['fleet', 'hosts', '--server', server.url, '--token', join(dir, 'missing')],
      ['fleet', 'hosts', '--server', server.url, '--token', secretFile],
      ['fleet', 'hosts', '--server', server.url, '--token', secretFile, '--limit', '0'],
      ['fleet', 'summary', '--server', 'ftp://x', '--token', secretFile],
    ]) {
      const bad = await runCli(args);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
