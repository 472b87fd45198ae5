import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadRepository } from '../host/index.js';
import { indexRepository, type RepositoryIndex } from '../repo/index.js';
import type { FleetStore, Principal } from '../store/index.js';
import { BODY_LIMIT, bearerToken, HttpError, parseJson, readBody, sendJson } from './http-io.js';
import { authorize, type Route, routes, validate } from './routes.js';

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
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

const HOST_ID = '([A-Za-z0-9-]{1,64})';

interface Compiled {
  readonly route: Route<unknown>;
  readonly pattern: RegExp;
}

const compiled: ReadonlyArray<Compiled> = routes.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace('{id}', HOST_ID)}$`),
}));

/**
 * Starts the fleet API on `host:port` (port 0: any free port). The repository is read once at start;
 * the clock is read here, per request, and passed to src/fleet.
 */
export async function startFleetServer(
  options: FleetServerOptions & { readonly host: string; readonly port: number },
): Promise<RunningServer> {
  const index = indexRepository(await loadRepository(options.repoPath));
  const server = createServer(fleetHandler(options, index));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const shown = address.includes(':') ? `[${address}]` : address;
  return { url: `http://${shown}:${port}`, port, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The request handler: route, authorize (before the body is read), read and validate, answer, log. */
export function fleetHandler(options: FleetServerOptions, index: RepositoryIndex) {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const limit = options.bodyLimit ?? BODY_LIMIT;
  const deps = {
    store: options.store,
    index: () => index,
    expiryWindowDays: options.expiryWindowDays ?? 30,
    ready: () => options.store.ready().catch(() => false),
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    let who: string = 'none';
    const url = parseUrl(req.url);
    const answer = (status: number, body: unknown) => {
      sendJson(res, status, body);
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
    const handle = async () => {
      const matches = compiled.filter((c) => c.pattern.test(url.pathname));
      if (matches.length === 0) throw new HttpError(404, `no endpoint ${url.pathname}`);
      const match = matches.find((c) => c.route.method === req.method);
      if (match === undefined)
        throw new HttpError(405, `${url.pathname} takes ${matches.map((m) => m.route.method).join(', ')}`);
      const hostId = match.pattern.exec(url.pathname)?.[1] ?? '';
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
      let body: unknown;
      if (match.route.body !== undefined)
        body = validate(match.route.body, parseJson(await readBody(req, limit)));
      const result = await match.route.handle(deps, { hostId, body, query: url.searchParams, now: now() });
      answer(result.status, result.body);
    };
    handle().catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('connection', 'close');
        answer(error.status, {
          error: error.message,
          ...(error.path === undefined ? {} : { path: error.path }),
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

/** The request's URL; one that does not parse is answered as an unknown path. */
function parseUrl(text: string | undefined): URL {
  try {
    return new URL(text ?? '/', 'http://fleet.invalid');
  } catch {
    return new URL('http://fleet.invalid/invalid-url');
  }
}
