import { mkdtemp, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { demoFleet } from '../../fleet/index.js';
import { loadRepository, statePath } from '../../host/index.js';
import { parseRate, type Rate, startFleetServer } from '../../server/index.js';
import { openStore } from '../../store/index.js';
import type { CommandFactory } from '../context.js';
import { readCount } from '../flags.js';
import { UsageError } from '../usage-error.js';

interface ServeFlags {
  db?: string;
  root: string;
  repo?: string;
  listen: string;
  insecure?: boolean;
  expiryWindow: string;
  enrollRate: string;
  reportRate: string;
  trustedProxy: string[];
  demo?: boolean;
  json?: boolean;
}

/** klpm serve: the fleet API over a SQLite or PostgreSQL database, until SIGINT or SIGTERM (docs/fleet.md). */
export const serveCommand: CommandFactory = (ctx) =>
  new Command('serve')
    .description('run the fleet server: the HTTP API over a SQLite or PostgreSQL database (docs/fleet.md)')
    .option(
      '--db <file|url>',
      'the SQLite database file, or a postgres:// URL (default <root>/var/lib/klpm/fleet.db)',
    )
    .option('--root <dir>', 'the machine the default --db is under', '/')
    .option('--repo <path>', 'the livepatch repository, in the formats `klpm check` reads (required)')
    .option(
      '--listen <addr:port>',
      'where to listen; an address off loopback needs --insecure',
      '127.0.0.1:7470',
    )
    .option('--insecure', 'allow a non-loopback --listen address without TLS (TLS is not built yet)')
    .option(
      '--expiry-window <days>',
      'count coverage ending within this many days as kernel-upgrade-required',
      '30',
    )
    .option('--enroll-rate <N/DURATION|off>', 'enrollments per client address', '60/1m')
    .option('--report-rate <N/DURATION|off>', 'reports per host', '30/1m')
    .option(
      '--trusted-proxy <addr>',
      'a proxy whose X-Forwarded-For names the client (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option(
      '--demo',
      'a throwaway server to look at: a temporary database, the repository at ./examples/repo unless --repo, a synthetic fleet, and an admin and a viewer token printed',
    )
    .option('--json', 'print the listening address as JSON')
    .action(async (opts: ServeFlags) => {
      const demo = opts.demo === true ? await demoPlace(ctx.cwd, opts) : undefined;
      if (demo !== undefined) Object.assign(opts, { db: demo.db, repo: demo.repo });
      if (opts.repo === undefined)
        throw new UsageError('klpm serve needs --repo PATH: the repository to plan from');
      const { host, port } = parseListen(opts.listen);
      if (!isLoopback(host) && !opts.insecure)
        throw new UsageError(
          `--listen ${opts.listen} is off loopback: without TLS tokens would cross the network in clear; pass --insecure to do it anyway`,
        );
      const expiryWindowDays = readCount(opts.expiryWindow, '--expiry-window');
      const enrollRate = rateFlag(opts.enrollRate, '--enroll-rate');
      const reportRate = rateFlag(opts.reportRate, '--report-rate');
      for (const proxy of opts.trustedProxy)
        if (isIP(proxy) === 0) throw new UsageError(`--trusted-proxy '${proxy}' is not an IP address`);
      const store = await openStore(opts.db ?? statePath(opts.root, 'fleetDb'));
      const server = await startFleetServer({
        store,
        repoPath: opts.repo,
        host,
        port,
        expiryWindowDays,
        enrollRate,
        reportRate,
        trustedProxies: opts.trustedProxy,
        // a demo is for looking at: its own 240 check-ins would bury the tokens in request logs
        ...(demo === undefined ? {} : { log: () => {} }),
      }).catch(async (error: NodeJS.ErrnoException) => {
        await store.close();
        if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL')
          throw new UsageError(`cannot listen on ${opts.listen}: ${error.code}`);
        throw error;
      });
      const shown = demo === undefined ? {} : await seedDemo(store, server.url, opts.repo);
      ctx.stdout(
        opts.json
          ? `${JSON.stringify({ listening: server.url, ...(demo === undefined ? {} : { dashboard: `${server.url}/` }), ...shown })}\n`
          : `klpm: serving on ${server.url}\n${demo === undefined ? '' : demoText(server.url, shown)}`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await store.close();
      if (demo !== undefined) await rm(demo.dir, { recursive: true, force: true });
    });

/** Where a demo keeps its database (a temporary directory), and the repository it plans from. */
async function demoPlace(cwd: string, opts: ServeFlags): Promise<{ dir: string; db: string; repo: string }> {
  if (opts.db !== undefined) throw new UsageError('--demo makes its own temporary database: drop --db');
  const repo = opts.repo ?? join(cwd, 'examples/repo');
  const dir = await mkdtemp(join(tmpdir(), 'klpm-demo-'));
  return { dir, db: join(dir, 'fleet.db'), repo };
}

const DEMO_HOSTS = 240;

/**
 * Fills a demo server: an admin and a viewer token, then the synthetic fleet (src/fleet demoFleet)
 * enrolled and reporting through the API itself, as agents would.
 */
async function seedDemo(
  store: Awaited<ReturnType<typeof openStore>>,
  url: string,
  repoPath: string,
): Promise<{ adminToken: string; viewerToken: string; hosts: number }> {
  const repository = await loadRepository(repoPath);
  const builds = [
    ...new Set(
      repository.updates.flatMap((u) =>
        u.livepatches.filter((l) => l.component === 'kernel').map((l) => l.baseBuildId),
      ),
    ),
  ];
  const secrets = new Map<string, string>();
  for (const host of demoFleet(builds, DEMO_HOSTS)) {
    let secret = secrets.get(host.site);
    if (secret === undefined) {
      secret = await store.createEnrollSecret({ labels: [`site:${host.site}`] });
      secrets.set(host.site, secret);
    }
    const enrolled = await store.enroll({
      secret,
      machineId: host.machineId,
      hostname: host.hostname,
      now: Date.now(),
    });
    if (enrolled.kind !== 'enrolled')
      throw new Error(`demo host ${host.hostname} was not enrolled: ${enrolled.reason}`);
    const answer = await fetch(`${url}/v1/hosts/${enrolled.id}/report`, {
      method: 'POST',
      headers: { authorization: `Bearer ${enrolled.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(host.report),
    });
    if (!answer.ok) throw new Error(`demo report of ${host.hostname} answered ${answer.status}`);
  }
  return {
    adminToken: await store.createToken('admin'),
    viewerToken: await store.createToken('viewer'),
    hosts: DEMO_HOSTS,
  };
}

function demoText(url: string, shown: { adminToken?: string; viewerToken?: string; hosts?: number }): string {
  return [
    `a demo fleet of ${shown.hosts} hosts reports to it (a temporary database, removed on exit)`,
    `dashboard:    ${url}/ (sign in with either token)`,
    `admin token:  ${shown.adminToken}`,
    `viewer token: ${shown.viewerToken}`,
    `try: curl -H 'Authorization: Bearer ${shown.viewerToken}' ${url}/v1/summary`,
    'stop with Ctrl-C',
    '',
  ].join('\n');
}

function rateFlag(text: string, flag: string): Rate | 'off' {
  const rate = parseRate(text);
  if (rate === undefined) return 'off';
  if ('error' in rate) throw new UsageError(`${flag} ${rate.error}`);
  return rate;
}

/** `ADDR:PORT`, `[V6]:PORT`, or a port alone (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))?:?(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2] ?? '127.0.0.1';
  const port = Number(match?.[3]);
  if (match === null || port > 65535 || (host !== 'localhost' && isIP(host) === 0))
    throw new UsageError(`--listen '${text}' is not ADDR:PORT, such as 127.0.0.1:7470 or [::1]:7470`);
  return { host, port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
