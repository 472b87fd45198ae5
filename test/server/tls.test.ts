import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError, checkInOnce } from '../../src/agent/index.js';
import { hasSpooledReport } from '../../src/agent/spool.js';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { fakeRoot, supportedRepositoryJson, writeRepository } from '../support/fleet-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { SimulatedKernel } from '../support/simulated-kernel.js';

/**
 * https: `klpm serve --tls-cert --tls-key` and the agent's `--ca`, with certificates made here by
 * openssl: a CA, a server certificate it signs for IP 127.0.0.1, and a second CA that signed nothing
 * of this server's. The agent trusts only the CA it is given: with the right one it checks in; with
 * the wrong one (or none, the system's roots) it gets no answer, keeps its report in the spool,
 * says why in one line, and applies nothing.
 */

const dir = mkdtempSync(join(tmpdir(), 'klpm-tls-'));
const file = (name: string) => join(dir, name);
const KLPM = fileURLToPath(new URL('../../bin/klpm.js', import.meta.url));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA (self-signed, EC P-256) named `name`: `<name>.pem`, `<name>.key`. */
function makeCa(name: string): void {
  openssl(
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`],
  );
}

let store: FleetStore;
let server: RunningServer;
let secretFile = '';
const NOW = Date.parse('2026-11-22T00:00:00Z');

beforeAll(async () => {
  makeCa('ca');
  makeCa('other-ca');
  openssl(
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'],
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'],
  );
  store = openSqliteStore(file('fleet.db'));
  server = await startFleetServer({
    store,
    repoPath: writeRepository(supportedRepositoryJson()),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    now: () => NOW,
    repoPollMs: 0,
    tls: { cert: readFileSync(file('server.pem'), 'utf8'), key: readFileSync(file('server.key'), 'utf8') },
  });
  secretFile = file('secret');
  writeFileSync(secretFile, await store.createEnrollSecret({ labels: [] }));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const agent = (root: string, ca: string | undefined, extra: Record<string, unknown> = {}) =>
  checkInOnce({
    server: server.url,
    enrollSecretFile: secretFile,
    root,
    interval: 600,
    now: () => NOW,
    ...(ca === undefined ? {} : { ca: readFileSync(file(ca), 'utf8') }),
    ...extra,
  });

describe('TLS: klpm serve --tls-cert --tls-key, klpm agent --ca', () => {
  it('serves https, and the agent that trusts its CA checks in', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const result = await agent(fakeRoot({ machineId: '1'.repeat(32) }), 'ca.pem');
    expect(result).toMatchObject({ enrolled: true, seq: 1 });
    expect(result.plan.planHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an agent with the wrong CA, or with the system roots: no answer, the report spooled, one line why, nothing applied', async () => {
    const root = fakeRoot({ machineId: '2'.repeat(32) });
    await agent(root, 'ca.pem'); // enrolled over the right CA first, so there is a report to spool
    for (const ca of ['other-ca.pem', undefined]) {
      const kernel = new SimulatedKernel('replace-bool', new Map());
      const error = await agent(root, ca, { apply: 'auto', kernel }).catch((e: unknown) => e);
      expect(error, String(ca)).toBeInstanceOf(AgentError);
      const message = (error as AgentError).message;
      expect(message).toMatch(
        /^cannot reach https:\/\/127\.0\.0\.1:\d+: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY); the report is spooled$/,
      );
      expect(message).not.toContain('\n');
      expect(await hasSpooledReport(root)).toBe(true);
      expect(kernel.calls).toEqual([]);
    }
    // the right CA again: the spooled report folds into the new one, and is gone
    const again = await agent(root, 'ca.pem');
    expect(again.seq).toBe(2);
    expect(await hasSpooledReport(root)).toBe(false);
  });

  it('a plain http client gets no fleet answer from the https port', async () => {
    const error = await fetch(server.url.replace('https:', 'http:')).then(
      (r) => r.status,
      (e: unknown) => e,
    );
    expect(error).not.toBe(200);
  });

  it('klpm agent once --ca: a missing or non-PEM file is exit 2, one line', async () => {
    writeFileSync(file('not-a-cert'), 'hello\n');
    for (const [ca, text] of [
      [file('missing.pem'), 'cannot read it: ENOENT'],
      [file('not-a-cert'), 'not a PEM certificate'],
    ] as const) {
      const out = await runCli([
        ...['agent', 'once', '--server', server.url, '--enroll-secret', secretFile],
        ...['--root', fakeRoot(), '--ca', ca],
      ]);
      expect(out.code).toBe(2);
      expect(out.stderr).toBe(
        `klpm: --ca ${ca}: ${text}${text.startsWith('not') ? ' (no -----BEGIN CERTIFICATE----- line)' : ''}\n`,
      );
    }
  });

  it('klpm serve: --tls-cert without --tls-key, an unreadable or unusable file, exit 2 with one line', async () => {
    const repo = writeRepository(supportedRepositoryJson());
    const base = ['serve', '--db', file('cli.db'), '--repo', repo, '--listen', '127.0.0.1:0'];
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', file('server.pem')], /^klpm: --tls-cert and --tls-key go together/],
      [
        ['--tls-cert', file('nothing.pem'), '--tls-key', file('server.key')],
        /^klpm: --tls-cert \S+nothing\.pem: cannot read it: ENOENT$/,
      ],
      [
        ['--tls-cert', file('not-a-cert'), '--tls-key', file('server.key')],
        /^klpm: --tls-cert \S+ \/ --tls-key \S+: not a usable certificate and key: /,
      ],
      [
        ['--tls-cert', file('server.pem'), '--tls-key', file('other-ca.key')],
        /^klpm: --tls-cert \S+ \/ --tls-key \S+: not a usable certificate and key: /,
      ],
    ];
    for (const [flags, expected] of cases) {
      const out = await runCli([...base, ...flags]);
      expect(out.code, flags.join(' ')).toBe(2);
      expect(out.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
      expect(out.stderr.trim()).toMatch(expected);
    }
    const open = await runCli(['serve', '--db', file('cli.db'), '--repo', repo, '--listen', '0.0.0.0:7470']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--tls-cert and --tls-key, or pass --insecure');
  });

  it('klpm serve --tls-cert --tls-key (the built CLI) answers https with that certificate', async () => {
    const repo = writeRepository(supportedRepositoryJson());
    const child = spawn(
      process.execPath,
      [
        ...[KLPM, 'serve', '--db', file('spawned.db'), '--repo', repo, '--listen', '127.0.0.1:0', '--json'],
        ...['--tls-cert', file('server.pem'), '--tls-key', file('server.key')],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] ?? '').listening);
        });
        child.once('exit', (code) => reject(new Error(`klpm serve exited ${code}`)));
      });
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        httpsGet(`${url}/healthz`, { ca: readFileSync(file('ca.pem')) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
