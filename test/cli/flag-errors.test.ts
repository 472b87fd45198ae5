import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

// Flag messages the CLI gives before (or instead of) doing its work: exit 2, one line.

const dir = mkdtempSync(join(tmpdir(), 'klpm-flag-errors-'));
const REPO = join(import.meta.dirname, '../../examples/repo/index.json');
const token = join(dir, 'token');
writeFileSync(token, 'x.y\n');
const symvers = join(dir, 'Module.symvers');
writeFileSync(symvers, '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\n');
const empty = join(dir, 'no-modules');
mkdirSync(empty);

/** A fleet API that refuses every request, as a server does a token it does not know. */
let refusing: Server;
let refusingUrl: string;
beforeAll(async () => {
  refusing = createServer((_request, response) => {
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'unknown token' }));
  });
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => refusing.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function refused(args: string[], message: string): Promise<void> {
  const run = await runCli(args);
  expect(run.stderr).toBe(`klpm: ${message}\n`);
  expect(run.code).toBe(2);
}

describe('the CLI names what was wrong with its flags', () => {
  it('--root that does not exist', async () => {
    const root = join(dir, 'missing-root');
    await refused(['kmp', 'status', '--root', root], `--root '${root}': no such directory`);
  });

  it('--root that is a file', async () => {
    await refused(['kmp', 'status', '--root', token], `--root '${token}' is not a directory`);
  });

  it('--token that cannot be read', async () => {
    const missing = join(dir, 'missing-token');
    await refused(
      ['fleet', 'summary', '--server', 'http://127.0.0.1:1', '--token', missing],
      `--token ${missing}: cannot read it (ENOENT)`,
    );
  });

  it('a server that refuses the token', async () => {
    await refused(
      ['fleet', 'summary', '--server', refusingUrl, '--token', token],
      'the server refused: 401 unknown token',
    );
  });

  it('fleet host with an id that is no host id', async () => {
    await refused(
      ['fleet', 'host', 'not/a host', '--server', refusingUrl, '--token', token],
      "'not/a host' is not a host id",
    );
  });

  it('agent without --enroll-secret', async () => {
    await refused(
      ['agent', 'once', '--server', 'http://127.0.0.1:1', '--root', dir],
      'klpm agent once needs --enroll-secret FILE (read only until the host is enrolled)',
    );
  });

  it('serve on an address already in use', async () => {
    const listen = refusingUrl.replace('http://', '');
    await refused(
      ['serve', '--db', join(dir, 'fleet.db'), '--repo', REPO, '--listen', listen],
      `cannot listen on ${listen}: EADDRINUSE`,
    );
  });

  it('kmp check given a directory with no module files', async () => {
    await refused(
      ['kmp', 'check', '--symvers', symvers, empty],
      `no module files (.ko, .ko.gz, .ko.xz, .ko.zst) in ${empty}`,
    );
  });
});
