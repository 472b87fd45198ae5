import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetStore, Principal } from '../store/index.js';
import { type CallRoute, dashboardHandler } from './dashboard/index.js';
import { BODY_LIMIT, bearerToken, HttpError, parseJson, readBody, SharedJson, sendJson } from './http-io.js';
import { FleetMetrics, UNMATCHED } from './metrics.js';
import { API_VERSION, openApiDocument } from './openapi.js';
import {
  clientAddress,
  MemoryRateLimiter,
  normalizeAddress,
  type Rate,
  type RateLimiter,
  StoreRateLimiter,
} from './rate-limit.js';
import { type RefreshResult, RepositoryState } from './repository-state.js';
import { RolloutService } from './rollout-service.js';
import { authorize, type Route, routes, validate } from './routes.js';
import { type WebhookOptions, Webhooks } from './webhooks.js';

export interface FleetServerOptions {
  readonly store: FleetStore;
  /** the repository, in any format `klpm check` reads */
  readonly repoPath: string;
  /** one JSON line per request; default: standard error */
  readonly log?: (line: string) => void;
  /** warn of coverage ending within this many days (as `klpm check --expiry-window`) */
  readonly expiryWindowDays?: number;
  readonly bodyLimit?: number;
  /** the clock (ms); tests pass their own */
  readonly now?: () => number;
  /**
   * how often the repository's files are checked for a change (size, mtime), in ms; 0: never
   * (`POST /v1/repository/refresh` still reads it again). Default 2000.
   */
  readonly repoPollMs?: number;
  /** the metrics `/metrics` shows; default: a registry of this server's own */
  readonly metrics?: FleetMetrics;
  /** enrollments per client address; `off`: none. Default 60 a minute */
  readonly enrollRate?: Rate | 'off';
  /** reports per host; `off`: none. Default 30 a minute */
  readonly reportRate?: Rate | 'off';
  /** the peers whose `X-Forwarded-For` names the client (a load balancer, a TLS proxy) */
  readonly trustedProxies?: ReadonlyArray<string>;
  /** where the rate state lives; default: the store's when it has one (PostgreSQL), else this process's memory */
  readonly rateLimiter?: RateLimiter;
  /**
   * For the benchmark only (`klpm serve` never sets it): `POST /v1/hosts/{id}/report` answers 200
   * once the body is authorized, parsed and validated, and stores nothing. It is the limit the
   * report ingest is measured against: the same stack without the assessment and the store write.
   */
  readonly validateOnly?: boolean;
  /** serve https (node:https) with this certificate (PEM, with its chain) and key */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** where the rollout and coverage webhooks go, and their key (`--webhook`, `--webhook-secret`) */
  readonly webhooks?: WebhookOptions;
  /** a webhook for each build whose coverage ends within this many days (`--webhook-expiry-days`) */
  readonly webhookExpiryDays?: number;
  /** how often coverage is checked for that webhook (ms); default a minute */
  readonly expiryCheckMs?: number;
  /** the rollouts' tick: deadlines, soaks, webhook retries (ms); default 1000, 0: none */
  readonly tickMs?: number;
}

export const DEFAULT_ENROLL_RATE: Rate = { count: 60, windowMs: 60_000 };
export const DEFAULT_REPORT_RATE: Rate = { count: 30, windowMs: 60_000 };

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** a host id, or a token's or secret's id (base64url) */
const ID = '([A-Za-z0-9_-]{1,64})';
/** a sha256 as the path gives it; the route says 400 when it is not 64 hex digits */
const SHA256 = '([^/]{1,128})';

interface Compiled {
  readonly route: Route<unknown>;
  readonly pattern: RegExp;
}

const compiled: ReadonlyArray<Compiled> = routes.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace('{id}', ID).replace('{sha256}', SHA256)}$`),
}));

/**
 * Starts the fleet API on `host:port` (port 0: any free port). The repository is read at start and
 * again when its files change or an admin asks; the clock is read here and passed to src/fleet.
 */
export async function startFleetServer(
  options: FleetServerOptions & { readonly host: string; readonly port: number },
): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const expiryWindowDays = options.expiryWindowDays ?? 30;
  let rollouts: RolloutService | undefined;
  const repository = await RepositoryState.open(
    options.repoPath,
    options.store,
    () => ({ now: now(), expiryWindowDays }),
    {
      assess: (hostId, report, time) => rollouts!.assess(hostId, report, time),
      plan: () => rollouts!.reevaluation(),
    },
  );
  rollouts = new RolloutService(
    options.store,
    () => repository.current(),
    new Webhooks(options.store, options.webhooks),
    {
      ...(options.webhookExpiryDays === undefined ? {} : { expiryDays: options.webhookExpiryDays }),
      ...(options.expiryCheckMs === undefined ? {} : { expiryCheckMs: options.expiryCheckMs }),
    },
  );
  await rollouts.reload();
  const metrics = options.metrics ?? new FleetMetrics(() => options.store.summaryHosts(now()), now);
  const handler = fleetHandler({ ...options, log, metrics }, repository, rollouts);
  // node:https only when asked for: it loads node:tls
  const server: Server =
    options.tls === undefined
      ? createServer(handler)
      : (await import('node:https')).createServer({ cert: options.tls.cert, key: options.tls.key }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const pollMs = options.repoPollMs ?? 2000;
  let polling = false;
  const watcher =
    pollMs <= 0
      ? undefined
      : setInterval(() => {
          if (polling) return;
          polling = true;
          counted(metrics, repository.refreshIfChanged())
            .then((result) => {
              if (result !== undefined)
                log(
                  JSON.stringify({
                    time: new Date(now()).toISOString(),
                    event: 'repository-refresh',
                    ...result,
                  }),
                );
            })
            .catch((error: unknown) =>
              log(
                JSON.stringify({
                  level: 'error',
                  event: 'repository-refresh',
                  error: String(error instanceof Error ? error.message : error),
                }),
              ),
            )
            .finally(() => {
              polling = false;
            });
        }, pollMs);
  watcher?.unref();
  const tickMs = options.tickMs ?? 1000;
  let ticking = false;
  const ticker =
    tickMs <= 0
      ? undefined
      : setInterval(() => {
          if (ticking) return;
          ticking = true;
          rollouts
            .tick(now)
            .catch((error: unknown) =>
              log(
                JSON.stringify({
                  level: 'error',
                  event: 'rollout-tick',
                  error: String(error instanceof Error ? error.message : error),
                }),
              ),
            )
            .finally(() => {
              ticking = false;
            });
        }, tickMs);
  ticker?.unref();
  const { port, address } = server.address() as AddressInfo;
  const shown = address.includes(':') ? `[${address}]` : address;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${shown}:${port}`,
    port,
    close: async () => {
      if (watcher !== undefined) clearInterval(watcher);
      if (ticker !== undefined) clearInterval(ticker);
      // a tick under way finishes before the store may be closed
      while (ticking) await new Promise((resolve) => setTimeout(resolve, 5));
      return closeServer(server);
    },
  };
}

/** Counts a refresh in the metrics: ok when it ran, failed when the repository did not read. */
function counted<R extends RefreshResult | undefined>(
  metrics: FleetMetrics,
  refresh: Promise<R>,
): Promise<R> {
  return refresh.then(
    (result) => {
      if (result !== undefined) metrics.refresh('ok');
      return result;
    },
    (error: unknown) => {
      metrics.refresh('failed');
      throw error;
    },
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The request handler: route, authorize (before the body is read), read and validate, answer, log. */
export function fleetHandler(
  options: FleetServerOptions,
  repository: RepositoryState,
  rollouts: RolloutService,
) {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const limit = options.bodyLimit ?? BODY_LIMIT;
  const metrics = options.metrics ?? new FleetMetrics(() => options.store.summaryHosts(now()), now);
  let document: unknown;
  const { store } = options;
  // a store several servers share keeps the windows; one server's own memory does otherwise
  const limiter =
    options.rateLimiter ??
    (store.takeRate === undefined
      ? new MemoryRateLimiter()
      : new StoreRateLimiter((key, windowMs, at) => store.takeRate!(key, windowMs, at)));
  const trusted = new Set((options.trustedProxies ?? []).map(normalizeAddress));
  const rates = {
    enroll: options.enrollRate ?? DEFAULT_ENROLL_RATE,
    report: options.reportRate ?? DEFAULT_REPORT_RATE,
  };
  const deps = {
    store: options.store,
    repository: () => repository.current(),
    refresh: () => counted(metrics, repository.refresh()),
    metrics,
    openapi: () => {
      document ??= openApiDocument(routes, API_VERSION);
      return document;
    },
    expiryWindowDays: options.expiryWindowDays ?? 30,
    ready: () => options.store.ready().catch(() => false),
    rollouts,
  };
  // The dashboard calls the API's routes in-process, authorized and validated as over HTTP.
  const callRoute: CallRoute = async (method, path, principal, body) => {
    const match = compiled.find((c) => c.route.method === method && c.pattern.test(path));
    if (match === undefined) return undefined;
    const param = match.pattern.exec(path)?.[1] ?? '';
    const hostId = match.route.path.includes('{id}') ? param : '';
    authorize(match.route.access, principal, hostId);
    const valid = match.route.body === undefined ? undefined : validate(match.route.body, body);
    const call = { hostId, param, body: valid, query: new URLSearchParams(), now: now(), principal };
    const result = await match.route.handle(deps, call);
    if (!('body' in result)) return undefined;
    return {
      status: result.status,
      body: result.body instanceof SharedJson ? result.body.value : result.body,
    };
  };
  const dashboard = dashboardHandler({ store: options.store, now, callRoute });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    let who: string = 'none';
    let routeLabel = UNMATCHED;
    const url = parseUrl(req.url);
    const logLine = (status: number) => {
      metrics.request(req.method ?? 'GET', routeLabel, status, (performance.now() - started) / 1000);
      log(
        JSON.stringify({
          time: new Date(now()).toISOString(),
          method: req.method,
          path: url.pathname,
          status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          who,
        }),
      );
    };
    const answer = (status: number, body: unknown) => {
      sendJson(res, status, body);
      logLine(status);
    };
    if (dashboard.handles(url.pathname)) {
      routeLabel = 'dashboard';
      dashboard
        .handle(req, res, url)
        .then((done) => {
          who = done.who;
          logLine(done.status);
        })
        .catch((error: unknown) => {
          const status = error instanceof HttpError ? error.status : 500;
          if (status === 500)
            log(
              JSON.stringify({
                level: 'error',
                path: url.pathname,
                error: String(error instanceof Error ? error.message : error),
              }),
            );
          if (!res.headersSent) {
            res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(status === 500 ? 'internal error\n' : `${(error as Error).message}\n`);
          }
          logLine(status);
        });
      return;
    }
    const handle = async () => {
      const matches = compiled.filter((c) => c.pattern.test(url.pathname));
      if (matches.length === 0) throw new HttpError(404, `no endpoint ${url.pathname}`);
      const match = matches.find((c) => c.route.method === req.method);
      if (match === undefined)
        throw new HttpError(405, `${url.pathname} takes ${matches.map((m) => m.route.method).join(', ')}`);
      routeLabel = match.route.path;
      const param = match.pattern.exec(url.pathname)?.[1] ?? '';
      const hostId = match.route.path.includes('{id}') ? param : '';
      const token = bearerToken(req);
      const principal: Principal | undefined =
        token === undefined ? undefined : await options.store.authenticate(token);
      who =
        principal === undefined
          ? token === undefined
            ? 'none'
            : 'invalid'
          : principal.kind === 'host'
            ? 'host'
            : principal.role;
      authorize(match.route.access, principal, hostId);
      const counted = match.route.limit;
      const rate = counted === undefined ? 'off' : rates[counted];
      if (counted !== undefined && rate !== 'off') {
        const key =
          counted === 'enroll'
            ? `enroll:${clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted)}`
            : `report:${hostId}`;
        const decision = await limiter.take(key, rate, now());
        if (!decision.ok) {
          metrics.limited(counted);
          throw new HttpError(
            429,
            counted === 'enroll' ? 'too many enrollments from this address' : 'too many reports of this host',
            undefined,
            undefined,
            { 'retry-after': String(decision.retryAfterSeconds) },
          );
        }
      }
      let body: unknown;
      if (match.route.body !== undefined) {
        const raw = await readBody(req, limit);
        body =
          raw.length === 0 && match.route.optionalBody === true
            ? undefined
            : validate(match.route.body, parseJson(raw));
      }
      if (options.validateOnly === true && match.route.path === '/v1/hosts/{id}/report') {
        answer(200, { validated: true });
        return;
      }
      const result = await match.route.handle(deps, {
        hostId,
        param,
        body,
        query: url.searchParams,
        now: now(),
        principal,
      });
      if (match.route.access === 'admin' && match.route.method !== 'GET' && result.status < 300)
        await audit(options.store, match.route, principal, param, body, result, now());
      if ('file' in result) await sendFile(res, result.file, logLine);
      else if ('text' in result) {
        res.writeHead(result.status, {
          'content-type': result.contentType,
          'content-length': Buffer.byteLength(result.text),
          'cache-control': 'no-store',
        });
        res.end(result.text);
        logLine(result.status);
      } else answer(result.status, result.body);
    };
    handle().catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('connection', 'close');
        for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
        answer(error.status, {
          error: error.message,
          ...(error.path === undefined ? {} : { path: error.path }),
          ...error.extra,
        });
        return;
      }
      log(
        JSON.stringify({
          level: 'error',
          path: url.pathname,
          error: String(error instanceof Error ? error.message : error),
        }),
      );
      if (!res.headersSent) answer(500, { error: 'internal error' });
    });
  };
}

/**
 * Streams a repository file. It is opened before the answer starts, so a file the repository lists
 * but that is gone is a 404; a read error after the start cuts the answer short (its length shows it).
 */
async function sendFile(res: ServerResponse, path: string, logLine: (status: number) => void): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile())
    throw new HttpError(404, 'the repository lists this file but it cannot be read on the server');
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch(() => {
    throw new HttpError(404, 'the repository lists this file but it cannot be read on the server');
  });
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-store',
  });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  res.once('finish', () => logLine(200));
}

/**
 * The audit log's entry of an admin's change: who (the token id), when, the route, what it named
 * (the path's id, or the id the answer gives), and the body (a rollout, a pin), never a secret.
 */
async function audit(
  store: FleetStore,
  route: Route<unknown>,
  principal: Principal | undefined,
  param: string,
  body: unknown,
  result: { status: number },
  at: number,
): Promise<void> {
  const answered = 'body' in result ? (result.body as { id?: unknown } | null) : null;
  const target = param !== '' ? param : typeof answered?.id === 'string' ? answered.id : '';
  await store.addAudit({
    at,
    who: principal?.kind === 'role' ? principal.tokenId : 'none',
    action: `${route.method} ${route.path}`,
    target,
    detail: body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {},
  });
}

/** The request's URL; one that does not parse is answered as an unknown path. */
function parseUrl(text: string | undefined): URL {
  try {
    return new URL(text ?? '/', 'http://fleet.invalid');
  } catch {
    return new URL('http://fleet.invalid/invalid-url');
  }
}
