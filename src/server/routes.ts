import type { ZodType } from 'zod';
import {
  buildsOf,
  type EnrollRequest,
  enrollRequestSchema,
  firstIssue,
  type HostEventBody,
  hostEventSchema,
  isSha256,
  parseHostQuery,
  type Report,
  reportSchema,
  summarize,
} from '../fleet/index.js';
import { InputError } from '../input/index.js';
import type { EvaluationTime } from '../repo/index.js';
import type { FleetStore, Principal } from '../store/index.js';
import { HttpError } from './http-io.js';
import type { LoadedRepository, RefreshResult } from './repository-state.js';

/**
 * Who may call a route. `public`: anyone; `enroll`: anyone, the secret is in the body; `read`: an
 * admin or viewer token; `admin`: an admin token; `host`: the token of the host the path names;
 * `any-host`: any host's token; `host-or-read`: the path's host or a reader.
 */
export type Access = 'public' | 'enroll' | 'read' | 'admin' | 'host' | 'any-host' | 'host-or-read';

/** What a route is given: the path's parameter (a host id, a sha256), the parsed body, the query, the clock. */
export interface RouteCall<B> {
  readonly hostId: string;
  readonly param: string;
  readonly body: B;
  readonly query: URLSearchParams;
  readonly now: number;
}

export interface RouteDeps {
  readonly store: FleetStore;
  readonly repository: () => LoadedRepository;
  readonly refresh: () => Promise<RefreshResult>;
  readonly expiryWindowDays: number;
  readonly ready: () => Promise<boolean>;
}

/** A route's answer: JSON, or a file of the repository to stream. */
export type RouteAnswer =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: 200; readonly file: string };

export interface Route<B = undefined> {
  readonly method: 'GET' | 'POST';
  /** the path; `{id}` stands for a host id, `{sha256}` for a file's sha256 */
  readonly path: string;
  readonly access: Access;
  readonly body?: ZodType<B>;
  readonly handle: (deps: RouteDeps, call: RouteCall<B>) => Promise<RouteAnswer>;
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
      const { evaluation, plan } = deps.repository().assess(body, time);
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
    handle: async (deps, { now }) => ok(summarize(await deps.store.summaryHosts(now), now)),
  }),
  route({
    method: 'GET',
    path: '/v1/builds',
    access: 'read',
    handle: async (deps, { now }) =>
      ok({
        builds: buildsOf(await deps.store.summaryHosts(now), deps.repository().index, {
          now,
          expiryWindowDays: deps.expiryWindowDays,
        }),
      }),
  }),
  route({
    method: 'GET',
    path: '/v1/files/{sha256}',
    access: 'any-host',
    handle: async (deps, { param }) => {
      if (!isSha256(param)) throw new HttpError(400, 'a sha256 is 64 lower-case hex digits', 'sha256');
      const file = deps.repository().files.get(param);
      if (file === undefined) throw new HttpError(404, `the repository lists no file with sha256 ${param}`);
      return { status: 200, file };
    },
  }),
  route<HostEventBody>({
    method: 'POST',
    path: '/v1/hosts/{id}/events',
    access: 'host',
    body: hostEventSchema,
    handle: async (deps, { hostId, body, now }) => {
      const { kind, ...detail } = body;
      await deps.store.saveEvent(hostId, { at: now, kind, detail });
      return ok({ stored: true });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/repository/refresh',
    access: 'admin',
    handle: async (deps) => {
      try {
        return ok(await deps.refresh());
      } catch (error) {
        if (error instanceof InputError)
          throw new HttpError(422, `the repository cannot be read: ${error.message}`);
        throw error;
      }
    },
  }),
];

/** Whether `principal` may call a route of `access` for `hostId`: 401 without one, 403 when not allowed. */
export function authorize(access: Access, principal: Principal | undefined, hostId: string): void {
  if (access === 'public' || access === 'enroll') return;
  if (principal === undefined) throw new HttpError(401, 'a valid bearer token is needed');
  const reader = principal.kind === 'role';
  const admin = principal.kind === 'role' && principal.role === 'admin';
  const self = principal.kind === 'host' && principal.hostId === hostId;
  const allowed =
    access === 'read'
      ? reader
      : access === 'admin'
        ? admin
        : access === 'host'
          ? self
          : access === 'any-host'
            ? principal.kind === 'host'
            : reader || self;
  if (!allowed) throw new HttpError(403, 'this token may not do that');
}

/** The body as a route's schema reads it, or a 400 naming the bad field. */
export function validate<B>(schema: ZodType<B>, value: unknown): B {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  throw new HttpError(400, issue.message, issue.path);
}
