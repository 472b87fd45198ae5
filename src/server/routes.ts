import type { ZodType } from 'zod';
import {
  type EnrollRequest,
  enrollRequestSchema,
  evaluateReport,
  firstIssue,
  parseHostQuery,
  planForHost,
  type Report,
  reportSchema,
  summarize,
} from '../fleet/index.js';
import type { EvaluationTime, RepositoryIndex } from '../repo/index.js';
import type { FleetStore, Principal } from '../store/index.js';
import { HttpError } from './http-io.js';

/**
 * Who may call a route. `public`: anyone; `enroll`: anyone, the secret is in the body; `read`: an
 * admin or viewer token; `host`: the token of the host the path names; `host-or-read`: either.
 */
export type Access = 'public' | 'enroll' | 'read' | 'host' | 'host-or-read';

/** What a route is given: the path's host id, the parsed body, the query, and the clock's reading. */
export interface RouteCall<B> {
  readonly hostId: string;
  readonly body: B;
  readonly query: URLSearchParams;
  readonly now: number;
}

export interface RouteDeps {
  readonly store: FleetStore;
  readonly index: () => RepositoryIndex;
  readonly expiryWindowDays: number;
  readonly ready: () => Promise<boolean>;
}

export interface Route<B = undefined> {
  readonly method: 'GET' | 'POST';
  /** the path; `{id}` stands for a host id */
  readonly path: string;
  readonly access: Access;
  readonly body?: ZodType<B>;
  readonly handle: (deps: RouteDeps, call: RouteCall<B>) => Promise<{ status: number; body: unknown }>;
}

const ok = (body: unknown) => ({ status: 200, body });

const route = <B>(r: Route<B>): Route<unknown> => r as unknown as Route<unknown>;

/** Every endpoint of the API as built (docs/fleet.md). Each parses, calls the store or src/fleet, answers. */
export const routes: ReadonlyArray<Route<unknown>> = [
  route({ method: 'GET', path: '/healthz', access: 'public', handle: async () => ok({ ok: true }) }),
  route({
    method: 'GET',
    path: '/readyz',
    access: 'public',
    handle: async (deps) =>
      (await deps.ready()) ? ok({ ready: true }) : { status: 503, body: { ready: false } },
  }),
  route<EnrollRequest>({
    method: 'POST',
    path: '/v1/enroll',
    access: 'enroll',
    body: enrollRequestSchema,
    handle: async (deps, { body, now }) => {
      const result = await deps.store.enroll({ ...body, now });
      if (result.kind === 'refused')
        throw new HttpError(
          401,
          result.reason === 'unknown'
            ? 'the enrollment secret is not known'
            : `the enrollment secret is ${result.reason}`,
        );
      return ok({ id: result.id, token: result.token });
    },
  }),
  route<Report>({
    method: 'POST',
    path: '/v1/hosts/{id}/report',
    access: 'host',
    body: reportSchema,
    handle: async (deps, { hostId, body, now }) => {
      const time: EvaluationTime = { now, expiryWindowDays: deps.expiryWindowDays };
      const index = deps.index();
      const evaluation = evaluateReport(body.status, body.buildId, index, time);
      const plan = planForHost(body.status, body.buildId, index, time);
      const saved = await deps.store.saveReport(hostId, { report: body, evaluation, plan, receivedAt: now });
      if (saved === 'stale') return ok((await deps.store.hostPlan(hostId)) ?? plan);
      return ok(plan);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/hosts/{id}/plan',
    access: 'host-or-read',
    handle: async (deps, { hostId }) => {
      const plan = await deps.store.hostPlan(hostId);
      if (plan === undefined) throw new HttpError(404, `no host ${hostId}`);
      if (plan === null) throw new HttpError(404, `host ${hostId} has not reported yet`);
      return ok(plan);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/hosts',
    access: 'read',
    handle: async (deps, { query, now }) => {
      const parsed = parseHostQuery(query);
      if (!parsed.ok) throw new HttpError(400, parsed.message, parsed.path);
      const page = await deps.store.listHosts(parsed.filter, now);
      return ok({ hosts: page.hosts, next: page.nextAfter });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/hosts/{id}',
    access: 'read',
    handle: async (deps, { hostId }) => {
      const detail = await deps.store.host(hostId);
      if (detail === undefined) throw new HttpError(404, `no host ${hostId}`);
      return ok(detail);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/summary',
    access: 'read',
    handle: async (deps, { now }) => ok(summarize(await deps.store.summaryHosts(), now)),
  }),
];

/** Whether `principal` may call a route of `access` for `hostId`: 401 without one, 403 when not allowed. */
export function authorize(access: Access, principal: Principal | undefined, hostId: string): void {
  if (access === 'public' || access === 'enroll') return;
  if (principal === undefined) throw new HttpError(401, 'a valid bearer token is needed');
  const reader = principal.kind === 'role';
  const self = principal.kind === 'host' && principal.hostId === hostId;
  const allowed = access === 'read' ? reader : access === 'host' ? self : reader || self;
  if (!allowed) throw new HttpError(403, 'this token may not do that');
}

/** The body as a route's schema reads it, or a 400 naming the bad field. */
export function validate<B>(schema: ZodType<B>, value: unknown): B {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  throw new HttpError(400, issue.message, issue.path);
}
