import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

// The CLI's own bad-input messages, each checked word for word: exit 2, one line, what was wrong
// and what to do. (Readers' located errors have their tests beside each reader.)

const dir = mkdtempSync(join(tmpdir(), 'klpm-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const REPO = join(import.meta.dirname, '../../examples/repo/index.json');
const secret = join(dir, 'secret');
writeFileSync(secret, 'x.y\n');
const token = join(dir, 'token');
writeFileSync(token, 'x.y\n');
const db = join(dir, 'fleet.db');

const cases: Array<[string, string[], string]> = [
  [
    '--now not a date',
    ['check', '--repo', REPO, '--build-id', 'aa', '--now', '2026-02-30'],
    "--now '2026-02-30' is not an ISO date of the calendar, such as 2026-01-31",
  ],
  [
    '--expiry-window not a number',
    ['check', '--repo', REPO, '--build-id', 'aa', '--expiry-window', 'soon'],
    "--expiry-window 'soon' is not a whole number",
  ],
  [
    '--build-id not hex',
    ['check', '--repo', REPO, '--build-id', 'xyz'],
    "--build-id 'xyz' is not a build id (an even number of hex digits)",
  ],
  [
    '--applied not version-release',
    ['check', '--repo', REPO, '--build-id', 'aa', '--applied', 'latest'],
    "--applied 'latest' is not version-release (e.g. 4.19.19-8.0.21), cannot compare it",
  ],
  [
    'serve without --repo',
    ['serve', '--db', db],
    'klpm serve needs --repo PATH: the repository to plan from',
  ],
  [
    'serve --listen malformed',
    ['serve', '--db', db, '--repo', REPO, '--listen', 'nowhere:port'],
    "--listen 'nowhere:port' is not ADDR:PORT, such as 127.0.0.1:7470 or [::1]:7470",
  ],
  [
    'serve off loopback without --insecure',
    ['serve', '--db', db, '--repo', REPO, '--listen', '0.0.0.0:7470'],
    '--listen 0.0.0.0:7470 is off loopback: without TLS tokens would cross the network in clear; give --tls-cert and --tls-key, or pass --insecure to do it anyway',
  ],
  [
    'serve --trusted-proxy not an address',
    ['serve', '--db', db, '--repo', REPO, '--trusted-proxy', 'lb.example'],
    "--trusted-proxy 'lb.example' is not an IP address",
  ],
  ['token create without a role', ['serve', 'token', 'create', '--db', db], '--role must be admin or viewer'],
  [
    'token create with another role',
    ['serve', 'token', 'create', '--db', db, '--role', 'root'],
    "--role must be admin or viewer, not 'root'",
  ],
  [
    'enroll create --expires not a date',
    ['serve', 'enroll', 'create', '--db', db, '--expires', '2026-13-01'],
    "--expires '2026-13-01' is not an ISO date of the calendar, such as 2026-12-31",
  ],
  [
    'enroll create --label not k:v',
    ['serve', 'enroll', 'create', '--db', db, '--label', 'ams1'],
    "--label 'ams1' is not k:v, such as site:ams1",
  ],
  [
    'agent without --server',
    ['agent', 'once', '--enroll-secret', secret],
    'klpm agent once needs --server URL',
  ],
  [
    'agent --apply other',
    ['agent', 'once', '--server', 'http://127.0.0.1:1', '--enroll-secret', secret, '--apply', 'always'],
    '--apply always: expected never or auto',
  ],
  [
    'agent --interval not a duration',
    ['agent', 'once', '--server', 'http://127.0.0.1:1', '--enroll-secret', secret, '--interval', 'often'],
    "--interval 'often' is not a duration such as 30s, 10m, 2h or 1d",
  ],
  [
    'fleet --server not a URL',
    ['fleet', 'summary', '--server', 'not a url', '--token', token],
    "--server 'not a url' is not a URL such as http://127.0.0.1:7470",
  ],
  [
    'fleet --server not http',
    ['fleet', 'summary', '--server', 'ftp://127.0.0.1', '--token', token],
    "--server 'ftp://127.0.0.1' is not an http:// or https:// URL",
  ],
  [
    'kmp add-kernel --describe with --symvers',
    ['kmp', 'add-kernel', '6.1.0-1-amd64', '--root', dir, '--describe', secret, '--symvers', secret],
    '--describe gives the whole kernel: drop --symvers, --flavor, --initrd and --initrd-modules, or drop --describe',
  ],
  [
    'kmp add-kernel --initrd with --initrd-modules',
    ['kmp', 'add-kernel', '6.1.0-1-amd64', '--root', dir, '--initrd', secret, '--initrd-modules', secret],
    '--initrd reads the image, --initrd-modules takes a list: give one of them',
  ],
];

describe('the CLI names what was wrong with its flags', () => {
  for (const [what, args, message] of cases)
    it(what, async () => {
      const run = await runCli(args);
      expect(run.stderr).toBe(`klpm: ${message}\n`);
      expect(run.code).toBe(2);
    });
});
