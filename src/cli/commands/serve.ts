import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { demoFleet, demoRolloutSpec, hostPercentile } from '../../fleet/index.js';
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
  tlsCert?: string;
  tlsKey?: string;
  expiryWindow: string;
  enrollRate: string;
  reportRate: string;
  trustedProxy: string[];
  webhook: string[];
  webhookSecret?: string;
  webhookExpiryDays?: string;
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
    .option('--tls-cert <file>', 'serve https with this certificate (PEM, with its chain); needs --tls-key')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--insecure', 'allow a non-loopback --listen address without TLS')
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
      '--webhook <url>',
      'POST rollout halts and completions and coverage ending soon to this URL, signed (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option(
      '--webhook-secret <file>',
      "the file whose bytes key the webhooks' HMAC-SHA256 (needed with --webhook)",
    )
    .option(
      '--webhook-expiry-days <days>',
      'a webhook for each build whose coverage ends within this many days',
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
      const tls = tlsFiles(opts);
      if (!isLoopback(host) && tls === undefined && !opts.insecure)
        throw new UsageError(
          `--listen ${opts.listen} is off loopback: without TLS tokens would cross the network in clear; give --tls-cert and --tls-key, or pass --insecure to do it anyway`,
        );
      const expiryWindowDays = readCount(opts.expiryWindow, '--expiry-window');
      const enrollRate = rateFlag(opts.enrollRate, '--enroll-rate');
      const reportRate = rateFlag(opts.reportRate, '--report-rate');
      for (const proxy of opts.trustedProxy)
        if (isIP(proxy) === 0) throw new UsageError(`--trusted-proxy '${proxy}' is not an IP address`);
      const webhooks = await webhookFlags(opts);
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
        ...(tls === undefined ? {} : { tls }),
        ...webhooks,
        // a demo is for looking at: its own 240 check-ins would bury the tokens in request logs
        ...(demo === undefined ? {} : { log: () => {} }),
      }).catch(async (error: NodeJS.ErrnoException) => {
        await store.close();
        if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL')
          throw new UsageError(`cannot listen on ${opts.listen}: ${error.code}`);
        // node:tls refuses a certificate or key it cannot use (not PEM, a key of another certificate)
        if (tls !== undefined && /^ERR_OSSL|^ERR_TLS/.test(error.code ?? ''))
          throw new UsageError(
            `--tls-cert ${opts.tlsCert} / --tls-key ${opts.tlsKey}: not a usable certificate and key: ${error.message}`,
          );
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
  const agents: Array<{ id: string; token: string }> = [];
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
    agents.push({ id: enrolled.id, token: enrolled.token });
  }
  const adminToken = await store.createToken('admin');
  const rollout = await demoRollout(
    url,
    adminToken,
    repository.updates.flatMap((u) => u.livepatches),
    agents,
  );
  return { adminToken, viewerToken: await store.createToken('viewer'), hosts: DEMO_HOSTS, ...rollout };
}

/**
 * The demo's running rollout, through the API: a canary wave and everyone; one canary host posts
 * a failed apply, so the rollout halts and names it (there is something to resume or roll back).
 */
async function demoRollout(
  url: string,
  adminToken: string,
  livepatches: Parameters<typeof demoRolloutSpec>[0],
  agents: ReadonlyArray<{ id: string; token: string }>,
): Promise<{ rollout?: string }> {
  const spec = demoRolloutSpec(livepatches);
  if (spec === undefined) return {};
  const post = async (path: string, token: string, body: unknown) => {
    const answer = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!answer.ok) throw new Error(`demo ${path} answered ${answer.status}: ${await answer.text()}`);
    return (await answer.json()) as { id?: string; outOfScope?: string[] };
  };
  const started = await post('/v1/rollouts', adminToken, spec);
  // the canary wave holds the hosts below 2% of the scale (RO-MEMBER); one in scope fails
  const canary = agents.find((a) => hostPercentile(a.id) < 2 && !started.outOfScope?.includes(a.id));
  if (canary !== undefined) {
    const plan = await fetch(`${url}/v1/hosts/${canary.id}/plan`, {
      headers: { authorization: `Bearer ${canary.token}` },
    });
    const body = (await plan.json()) as { planHash: string };
    await post(`/v1/hosts/${canary.id}/events`, canary.token, {
      kind: 'apply',
      planHash: body.planHash,
      outcome: 'reversed',
      step: { index: 0, op: 'load', patch: 'demo' },
      reason: 'the transition stalled on task 4242 (kworker/u8:1) and was reversed',
      blocking: [{ pid: 4242, comm: 'kworker/u8:1' }],
      log: [],
      predictedLog: [],
    });
  }
  return started.id === undefined ? {} : { rollout: started.id };
}

/** `--webhook URL... --webhook-secret FILE [--webhook-expiry-days N]`, checked. */
async function webhookFlags(opts: ServeFlags) {
  if (opts.webhook.length === 0) {
    if (opts.webhookSecret !== undefined || opts.webhookExpiryDays !== undefined)
      throw new UsageError('--webhook-secret and --webhook-expiry-days go with --webhook URL');
    return {};
  }
  for (const url of opts.webhook) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {}
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      throw new UsageError(`--webhook '${url}' is not an http:// or https:// URL`);
  }
  if (opts.webhookSecret === undefined)
    throw new UsageError('--webhook needs --webhook-secret FILE: the key every delivery is signed with');
  const secret = await readFile(opts.webhookSecret).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      `--webhook-secret ${opts.webhookSecret}: cannot read it (${error.code ?? error.message})`,
    );
  });
  if (secret.length === 0) throw new UsageError(`--webhook-secret ${opts.webhookSecret} is empty`);
  return {
    webhooks: { urls: opts.webhook, secret },
    ...(opts.webhookExpiryDays === undefined
      ? {}
      : { webhookExpiryDays: readCount(opts.webhookExpiryDays, '--webhook-expiry-days') }),
  };
}

function demoText(
  url: string,
  shown: { adminToken?: string; viewerToken?: string; hosts?: number; rollout?: string },
): string {
  return [
    `a demo fleet of ${shown.hosts} hosts reports to it (a temporary database, removed on exit)`,
    `dashboard:    ${url}/ (sign in with either token)`,
    `admin token:  ${shown.adminToken}`,
    `viewer token: ${shown.viewerToken}`,
    `try: curl -H 'Authorization: Bearer ${shown.viewerToken}' ${url}/v1/summary`,
    ...(shown.rollout === undefined
      ? []
      : [
          `a rollout is running, halted by its canary: curl -H 'Authorization: Bearer ${shown.viewerToken}' ${url}/v1/rollouts/${shown.rollout}`,
        ]),
    'stop with Ctrl-C',
    '',
  ].join('\n');
}

/** --tls-cert and --tls-key, both or neither, read once here. */
function tlsFiles(opts: ServeFlags): { cert: string; key: string } | undefined {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if (opts.tlsCert === undefined || opts.tlsKey === undefined)
    throw new UsageError('--tls-cert and --tls-key go together: give both, or neither');
  const read = (flag: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new UsageError(
        `${flag} ${path}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  };
  return { cert: read('--tls-cert', opts.tlsCert), key: read('--tls-key', opts.tlsKey) };
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
