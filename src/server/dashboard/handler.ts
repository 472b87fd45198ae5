import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type BuildView, type FleetSummary, summarize } from '../../fleet/index.js';
import type { FleetStore, Principal } from '../../store/index.js';
import { HttpError, readBody } from '../http-io.js';
import { buildsPage } from './builds-page.js';
import { fleetPage } from './fleet-page.js';
import { hostPage } from './host-page.js';
import { hostsPage, nextCursor, readHostsQuery } from './hosts-page.js';
import type { Viewer } from './layout.js';
import { errorPage, loginPage } from './login-page.js';
import {
  ACTIONS,
  confirmActionPage,
  confirmStartPage,
  newRolloutPage,
  type RolloutAction,
  type RolloutList,
  rolloutListOf,
  rolloutPage,
  rolloutSchema,
  rolloutsPage,
  rolloutsUnavailablePage,
} from './rollouts-page.js';
import {
  cookieValue,
  csrfMatches,
  csrfToken,
  LOGIN_COOKIE,
  LOGIN_MS,
  loginCookie,
  loginCsrfMatches,
  loginCsrfToken,
  newLoginNonce,
  newSession,
  readLoginNonce,
  readSession,
  SESSION_COOKIE,
  SESSION_MS,
  type Session,
  sessionCookie,
} from './session.js';

/**
 * An API route called in-process, as the HTTP path would call it (authorized as `principal`, the
 * body validated by the route's schema): undefined when the server has no route for it.
 */
export type CallRoute = (
  method: 'GET' | 'POST',
  path: string,
  principal: Principal,
  body?: unknown,
) => Promise<{ status: number; body: unknown } | undefined>;

export interface DashboardDeps {
  readonly store: FleetStore;
  readonly now: () => number;
  readonly callRoute: CallRoute;
  /** how long the fleet page's counts are reused (they cost a pass over every host); default 10 s */
  readonly summaryTtlMs?: number;
}

/** What a dashboard request came to, for the server's request log. */
export interface DashboardAnswer {
  readonly status: number;
  readonly who: string;
}

const FORM_LIMIT = 64 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Whether a path is the dashboard's (everything the API does not use: `/`, `/hosts`, …). */
export function isDashboardPath(path: string): boolean {
  return path === '/' || /^\/(login|logout|hosts|builds|rollouts)(\/|$)/.test(path);
}

/**
 * The dashboard: server-rendered pages over the store and the API's own routes (docs/fleet.md,
 * "Dashboard"). Reading needs a session of a viewer or admin token; every change is a POST form
 * with the session's CSRF token, and only an admin's is carried out.
 */
export function dashboardHandler(deps: DashboardDeps) {
  let key: Promise<Buffer> | undefined;
  const sessionKey = () => {
    key ??= deps.store.sessionKey().catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  };
  const ttl = deps.summaryTtlMs ?? 10_000;
  // The counts last read, and a read under way. Counts older than the TTL are still shown while
  // newer ones are read (the page says when they were counted). On SQLite a read is of the kept
  // counts and the silent hosts; on PostgreSQL a pass over every host, which only the first page
  // after a start waits for.
  let counted: { at: number; summary: FleetSummary } | undefined;
  let counting: Promise<{ at: number; summary: FleetSummary }> | undefined;
  const count = (now: number) => {
    counting ??= deps.store
      .summaryHosts(now)
      .then((rows) => {
        counted = { at: now, summary: summarize(rows, now) };
        return counted;
      })
      .finally(() => {
        counting = undefined;
      });
    return counting;
  };
  const summary = async (now: number) => {
    if (counted === undefined) return count(now);
    if (now - counted.at >= ttl) count(now).catch(() => {});
    return counted;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string | string[]> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...SECURITY_HEADERS,
      ...headers,
    });
    res.end(body);
    return status;
  };
  const redirect = (res: ServerResponse, to: string, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(303, { location: to, 'content-length': 0, ...SECURITY_HEADERS, ...headers });
    res.end();
    return 303;
  };
  const readForm = async (req: IncomingMessage) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded'))
      throw new HttpError(415, 'a form is sent as application/x-www-form-urlencoded');
    return new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'));
  };

  /** The session of a request, when its cookie is signed by the key, unexpired, and its token still exists. */
  const sessionOf = async (req: IncomingMessage, now: number): Promise<Session | undefined> => {
    const session = readSession(await sessionKey(), cookieValue(req.headers.cookie, SESSION_COOKIE), now);
    if (session === undefined) return undefined;
    const tokens = await deps.store.listTokens();
    return tokens.some((t) => t.id === session.tokenId && t.role === session.role) ? session : undefined;
  };

  const rollouts = async (principal: Principal): Promise<RolloutList> => {
    try {
      const answer = await deps.callRoute('GET', '/v1/rollouts', principal);
      if (answer === undefined) return { kind: 'unavailable' };
      if (answer.status !== 200) return { kind: 'error', message: `the server answered ${answer.status}` };
      return { kind: 'ok', rollouts: rolloutListOf(answer.body) };
    } catch (error) {
      return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<DashboardAnswer> => {
    const now = deps.now();
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const secure = (req.socket as TLSSocket).encrypted === true;
    if (path === '/login') {
      if (method !== 'GET' && method !== 'POST')
        return { status: send(res, 405, errorPage('Not allowed', 'GET or POST only.')), who: 'none' };
      const k = await sessionKey();
      // The sign-in form's own CSRF check (session.ts newLoginNonce): the browser's login cookie,
      // kept while it is good, so that two open sign-in tabs both work
      const had = readLoginNonce(cookieValue(req.headers.cookie, LOGIN_COOKIE));
      const nonce = had ?? newLoginNonce();
      const form = (next: string, status: number, problem?: string) =>
        send(res, status, loginPage(next, loginCsrfToken(k, nonce), problem), {
          'set-cookie': loginCookie(nonce, LOGIN_MS / 1000, secure),
        });
      if (method === 'GET') return { status: form(safeNext(url.searchParams.get('next')), 200), who: 'none' };
      const fields = await readForm(req);
      const next = safeNext(fields.get('next'));
      // before the token is looked at: a forged sign-in is refused whatever token it carries
      if (!loginCsrfMatches(k, had, fields.get('csrf') ?? undefined))
        return {
          status: form(
            next,
            403,
            'This sign-in form was not the one this server gave your browser (or it is over an hour old): sign in again.',
          ),
          who: 'none',
        };
      const token = fields.get('token')?.trim() ?? '';
      const principal = token === '' ? undefined : await deps.store.authenticate(token);
      if (principal === undefined || principal.kind !== 'role')
        return {
          status: form(next, 401, 'That token is not a viewer or admin token this server knows.'),
          who: 'invalid',
        };
      const { value } = newSession(k, principal.role, token.split('.')[0]!, now);
      return {
        status: redirect(res, next, {
          'set-cookie': [sessionCookie(value, SESSION_MS / 1000, secure), loginCookie('', 0, secure)],
        }),
        who: principal.role,
      };
    }
    const session = await sessionOf(req, now);
    if (session === undefined) {
      if (method === 'GET')
        return { status: redirect(res, `/login?next=${encodeURIComponent(path + url.search)}`), who: 'none' };
      return {
        status: send(res, 401, errorPage('Sign in first', 'This change needs a signed-in session.')),
        who: 'none',
      };
    }
    const k = await sessionKey();
    const viewer: Viewer = { role: session.role, csrf: csrfToken(k, session) };
    const principal: Principal = { kind: 'role', role: session.role, tokenId: session.tokenId };
    const who = session.role;
    const answer = (status: number) => ({ status, who });

    if (method === 'POST') {
      const form = await readForm(req);
      // The CSRF token first: a form another site made never carries it, whoever is signed in.
      if (!csrfMatches(k, session, form.get('csrf') ?? undefined))
        return answer(
          send(
            res,
            403,
            errorPage('Refused', 'The form carries no valid CSRF token: reload the page and try again.'),
          ),
        );
      if (path === '/logout')
        return answer(redirect(res, '/login', { 'set-cookie': sessionCookie('', 0, secure) }));
      if (session.role !== 'admin')
        return answer(
          send(
            res,
            403,
            errorPage(
              'Not allowed',
              'A viewer may look but not change anything: sign in with an admin token.',
            ),
          ),
        );
      return answer(await change(res, path, form, principal, viewer));
    }
    if (method !== 'GET') return answer(send(res, 405, errorPage('Not allowed', 'GET or POST only.')));

    if (path === '/') {
      const [c, silent, stuck, list] = await Promise.all([
        summary(now),
        deps.store.listHosts({ labels: [], silent: true, limit: 10 }, now),
        deps.store.listHosts({ labels: [], stuck: true, limit: 10 }, now),
        rollouts(principal),
      ]);
      return answer(
        send(
          res,
          200,
          fleetPage(viewer, {
            summary: c.summary,
            countedAt: c.at,
            silent: silent.hosts,
            stuck: stuck.hosts,
            rollouts: list,
            now,
          }),
        ),
      );
    }
    if (path === '/hosts') {
      const read = readHostsQuery(url.searchParams);
      if (!read.ok) return answer(send(res, 400, hostsPage(viewer, undefined, [], null, read.message)));
      const page = await deps.store.listHosts(read.query.filter, now);
      return answer(
        send(
          res,
          200,
          hostsPage(
            viewer,
            read.query,
            page.hosts,
            page.nextAfter === null ? null : nextCursor(read.query, page.hosts),
          ),
        ),
      );
    }
    const host = /^\/hosts\/([^/]+)$/.exec(path);
    if (host !== null) {
      const id = decodeURIComponent(host[1]!);
      const detail = ID.test(id) ? await deps.store.host(id) : undefined;
      if (detail === undefined)
        return answer(send(res, 404, errorPage('No such host', `There is no host ${id}.`)));
      return answer(send(res, 200, hostPage(viewer, detail)));
    }
    if (path === '/builds') {
      const builds = await deps.callRoute('GET', '/v1/builds', principal);
      return answer(
        send(
          res,
          200,
          buildsPage(viewer, (builds?.body as { builds: BuildView[] } | undefined)?.builds ?? []),
        ),
      );
    }
    if (path === '/rollouts') return answer(send(res, 200, rolloutsPage(viewer, await rollouts(principal))));
    if (path === '/rollouts/new') {
      if (session.role !== 'admin')
        return answer(send(res, 403, errorPage('Not allowed', 'Only an admin starts rollouts.')));
      if ((await rollouts(principal)).kind === 'unavailable')
        return answer(send(res, 404, rolloutsUnavailablePage(viewer)));
      return answer(send(res, 200, newRolloutPage(viewer, await exampleRollout(deps, principal))));
    }
    const one = /^\/rollouts\/([A-Za-z0-9_-]{1,64})(?:\/confirm\/([a-z]+))?$/.exec(path);
    if (one !== null) {
      const got = await deps.callRoute('GET', `/v1/rollouts/${one[1]}`, principal).catch((error: unknown) => {
        if (error instanceof HttpError && error.status === 404) return { status: 404, body: null };
        throw error;
      });
      if (got === undefined) return answer(send(res, 404, rolloutsUnavailablePage(viewer)));
      if (got.status !== 200)
        return answer(send(res, 404, errorPage('No such rollout', `There is no rollout ${one[1]}.`)));
      const rollout = rolloutSchema.parse(got.body);
      const action = one[2];
      if (action === undefined) return answer(send(res, 200, rolloutPage(viewer, rollout)));
      if (!(ACTIONS as ReadonlyArray<string>).includes(action))
        return answer(send(res, 404, errorPage('No such action', `A rollout has no action ${action}.`)));
      if (session.role !== 'admin')
        return answer(send(res, 403, errorPage('Not allowed', 'Only an admin changes rollouts.')));
      return answer(send(res, 200, confirmActionPage(viewer, rollout, action as RolloutAction)));
    }
    return answer(send(res, 404, errorPage('Not found', `There is no page ${path}.`)));
  };

  /** An admin's confirmed change: the API route does it; the answer goes back to the rollout's page. */
  const change = async (
    res: ServerResponse,
    path: string,
    form: URLSearchParams,
    principal: Principal,
    viewer: Viewer,
  ) => {
    if (path === '/rollouts/new' || path === '/rollouts/start') {
      const text = form.get('rollout') ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return send(res, 400, newRolloutPage(viewer, text, 'The rollout is not JSON.'));
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        return send(res, 400, newRolloutPage(viewer, text, 'The rollout is a JSON object.'));
      if (path === '/rollouts/new')
        return send(res, 200, confirmStartPage(viewer, text, parsed as Record<string, unknown>));
      const started = await callChange(() => deps.callRoute('POST', '/v1/rollouts', principal, parsed));
      if (started.kind === 'refused')
        return send(res, started.status, newRolloutPage(viewer, text, started.message));
      if (started.kind === 'unavailable') return send(res, 404, rolloutsUnavailablePage(viewer));
      const id = String((started.body as { id?: unknown }).id ?? '');
      return redirect(res, ID.test(id) ? `/rollouts/${id}` : '/rollouts');
    }
    const act = /^\/rollouts\/([A-Za-z0-9_-]{1,64})\/([a-z]+)$/.exec(path);
    if (act !== null && (ACTIONS as ReadonlyArray<string>).includes(act[2]!)) {
      const done = await callChange(() =>
        deps.callRoute('POST', `/v1/rollouts/${act[1]}/${act[2]}`, principal, {}),
      );
      if (done.kind === 'unavailable') return send(res, 404, rolloutsUnavailablePage(viewer));
      if (done.kind === 'refused')
        return send(
          res,
          done.status,
          errorPage('Refused', `The server refused to ${act[2]} rollout ${act[1]}: ${done.message}`),
        );
      return redirect(res, `/rollouts/${act[1]}`);
    }
    return send(res, 404, errorPage('Not found', `There is no change ${path}.`));
  };

  return { handles: isDashboardPath, handle };
}

type Change =
  | { kind: 'ok'; body: unknown }
  | { kind: 'unavailable' }
  | { kind: 'refused'; status: number; message: string };

async function callChange(call: () => ReturnType<CallRoute>): Promise<Change> {
  try {
    const answer = await call();
    if (answer === undefined) return { kind: 'unavailable' };
    if (answer.status >= 300)
      return {
        kind: 'refused',
        status: answer.status,
        message: String((answer.body as { error?: unknown })?.error ?? answer.status),
      };
    return { kind: 'ok', body: answer.body };
  } catch (error) {
    if (error instanceof HttpError)
      return {
        kind: 'refused',
        status: error.status,
        message: error.path ? `${error.path}: ${error.message}` : error.message,
      };
    throw error;
  }
}

/** A starting point for the start form: the newest livepatch of the biggest build, in three waves. */
async function exampleRollout(deps: DashboardDeps, principal: Principal): Promise<string> {
  const builds = (await deps.callRoute('GET', '/v1/builds', principal))?.body as
    | { builds?: BuildView[] }
    | undefined;
  const newest = (builds?.builds ?? []).flatMap((b) => b.newest)[0];
  return JSON.stringify(
    {
      component: 'kernel',
      replaceSet: newest?.replaceSet ?? 0,
      to: newest?.to ?? '',
      waves: [
        { name: 'canary', select: { percent: 1 }, failureBudget: 0, soak: '10m', deadline: '1h' },
        { name: 'early', select: { percent: 10 }, failureBudget: '5%', soak: '1h', deadline: '2h' },
        { name: 'all', select: { percent: 100 }, failureBudget: '2%', soak: '1h', deadline: '4h' },
      ],
    },
    null,
    2,
  );
}

/** Where to go after sign-in: a path of this server only (never `//host` or a URL). */
function safeNext(next: string | null | undefined): string {
  return next !== null && next !== undefined && /^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith('/login')
    ? next
    : '/';
}
