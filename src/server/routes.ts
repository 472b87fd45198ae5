import type { ZodType } from 'zod';
import * as z from 'zod';
import {
  buildsOf,
  type EnrollRequest,
  enrollRequestSchema,
  firstIssue,
  type HostEventBody,
  hostEventSchema,
  hostQuerySchema,
  isSha256,
  parseHostQuery,
  type Report,
  reportFingerprint,
  reportSchema,
  summarize,
} from '../fleet/index.js';
import { InputError } from '../input/index.js';
import type { EvaluationTime } from '../repo/index.js';
import type { FleetStore, Principal } from '../store/index.js';
import { HttpError, SharedJson } from './http-io.js';
import type { FleetMetrics } from './metrics.js';
import type { LoadedRepository, RefreshResult } from './repository-state.js';
import { rolloutRoutes } from './rollout-routes.js';
import type { RolloutService } from './rollout-service.js';

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
  /** who called: the bearer token's owner, or the dashboard's signed-in viewer or admin (the audit log names the token id) */
  readonly principal?: Principal | undefined;
}

export interface RouteDeps {
  readonly store: FleetStore;
  readonly repository: () => LoadedRepository;
  readonly refresh: () => Promise<RefreshResult>;
  readonly expiryWindowDays: number;
  readonly ready: () => Promise<boolean>;
  readonly metrics: FleetMetrics;
  /** the OpenAPI document of this table (src/server/openapi.ts) */
  readonly openapi: () => unknown;
  /** rollouts and pins (src/server/rollout-service.ts) */
  readonly rollouts: RolloutService;
}

/** A route's answer: JSON, a file of the repository to stream, or text (the metrics). */
export type RouteAnswer =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: 200; readonly file: string }
  | { readonly status: 200; readonly text: string; readonly contentType: string };

export interface Route<B = undefined> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** the path; `{id}` stands for a host id, `{sha256}` for a file's sha256 */
  readonly path: string;
  readonly access: Access;
  readonly body?: ZodType<B>;
  /** an empty body is taken as none (the route reads its query instead) */
  readonly optionalBody?: boolean;
  /** the rate limit it counts against: `enroll` per client address, `report` per host */
  readonly limit?: 'enroll' | 'report';
  /** what the OpenAPI document says of it */
  readonly doc: RouteDoc;
  readonly handle: (deps: RouteDeps, call: RouteCall<B>) => Promise<RouteAnswer>;
}

/**
 * A route's description in the OpenAPI document: a summary, what a 2xx answer is (and its schema
 * where one is written down), its query parameters' schema, and the refusals particular to it (the
 * ones every route of its access or with a body has are added by src/server/openapi.ts).
 */
export interface RouteDoc {
  readonly summary: string;
  readonly ok: string;
  readonly okSchema?: ZodType;
  /** `text/plain` (the metrics), `application/octet-stream` (a file); default JSON */
  readonly okType?: string;
  readonly query?: ZodType;
  readonly errors?: Readonly<Record<number, string>>;
}

const ok = (body: unknown) => ({ status: 200, body });

const route = <B>(r: Route<B>): Route<unknown> => r as unknown as Route<unknown>;

/** Every endpoint of the API as built (docs/fleet.md). Each parses, calls the store or src/fleet, answers. */
export const routes: ReadonlyArray<Route<unknown>> = [
  route({
    method: 'GET',
    path: '/healthz',
    access: 'public',
    doc: {
      summary: 'the process answers',
      ok: '`{"ok": true}`',
      okSchema: z.object({ ok: z.literal(true) }),
    },
    handle: async () => ok({ ok: true }),
  }),
  route({
    method: 'GET',
    path: '/readyz',
    access: 'public',
    doc: {
      summary: 'the database answers',
      ok: '`{"ready": true}`',
      okSchema: z.object({ ready: z.boolean() }),
      errors: { 503: 'the database does not answer: `{"ready": false}`' },
    },
    handle: async (deps) =>
      (await deps.ready()) ? ok({ ready: true }) : { status: 503, body: { ready: false } },
  }),
  route({
    method: 'GET',
    path: '/metrics',
    access: 'read',
    doc: {
      summary: 'Prometheus metrics (text exposition format)',
      ok: 'the metrics: requests and latency per route template and status, reports ingested, hosts per status, repository refreshes',
      okType: 'text/plain',
    },
    handle: async (deps) => ({ status: 200, ...(await deps.metrics.render()) }),
  }),
  route({
    method: 'GET',
    path: '/v1/openapi.json',
    access: 'public',
    doc: {
      summary: 'this document: the OpenAPI 3.1 description of the API',
      ok: 'the OpenAPI document, generated from the schemas the routes validate with',
    },
    handle: async (deps) => ok(deps.openapi()),
  }),
  route<EnrollRequest>({
    method: 'POST',
    path: '/v1/enroll',
    access: 'enroll',
    limit: 'enroll',
    doc: {
      summary: 'trade an enrollment secret for a host id and host token',
      ok: 'the host id and its token (shown once)',
      okSchema: z.object({ id: z.string(), token: z.string() }),
      errors: { 401: 'an unknown, expired or exhausted secret' },
    },
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
    limit: 'report',
    doc: {
      summary: "a host's check-in: its report, answered with its plan",
      ok: "the host's plan (for a resent or older seq, the stored one)",
    },
    body: reportSchema,
    handle: async (deps, { hostId, body, now }) => {
      const time: EvaluationTime = { now, expiryWindowDays: deps.expiryWindowDays };
      const fingerprint = reportFingerprint(body);
      const { evaluation, plan } = await deps.rollouts.assess(hostId, body, time, fingerprint);
      const saved = await deps.store.saveReport(hostId, {
        report: body,
        evaluation,
        plan,
        receivedAt: now,
        fingerprint,
      });
      deps.metrics.report(saved);
      if (saved === 'conflict')
        throw new HttpError(
          409,
          "this report cannot come from the machine whose reports are stored: two machines report with this host's token (a clone?); the host is marked in conflict, nothing merged",
          undefined,
          { conflict: true },
        );
      if (saved === 'stored') await deps.rollouts.onReport(hostId, body, plan, now);
      if (saved === 'stale') return ok((await deps.store.hostPlan(hostId)) ?? plan);
      return ok(new SharedJson(plan));
    },
  }),
  route({
    method: 'GET',
    path: '/v1/hosts/{id}/plan',
    access: 'host-or-read',
    doc: {
      summary: "the host's latest plan",
      ok: 'the plan',
      errors: { 404: 'no such host, or it has not reported yet' },
    },
    handle: async (deps, { hostId, now }) => {
      const plan = await deps.store.hostPlan(hostId);
      if (plan === undefined) throw new HttpError(404, `no host ${hostId}`);
      if (plan === null) throw new HttpError(404, `host ${hostId} has not reported yet`);
      return ok(await deps.rollouts.planOf(hostId, plan, { now, expiryWindowDays: deps.expiryWindowDays }));
    },
  }),
  route({
    method: 'GET',
    path: '/v1/hosts',
    access: 'read',
    doc: {
      summary: 'the hosts, filtered, one page',
      ok: '`{"hosts": [...], "next"}`; `next` is the cursor of the next page or null',
      query: hostQuerySchema,
    },
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
    doc: {
      summary: 'one host: its row, latest report, plan and newest events',
      ok: '`{"host", "report", "plan", "events"}`',
      errors: { 404: 'no such host' },
    },
    handle: async (deps, { hostId, now }) => {
      const detail = await deps.store.host(hostId);
      if (detail === undefined) throw new HttpError(404, `no host ${hostId}`);
      if (detail.plan === null) return ok(detail);
      const time = { now, expiryWindowDays: deps.expiryWindowDays };
      return ok({ ...detail, plan: await deps.rollouts.planOf(hostId, detail.plan, time, detail.report) });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/summary',
    access: 'read',
    doc: {
      summary: 'the fleet in numbers',
      ok: 'the summary: hosts per status and reboot need, silent hosts, builds',
    },
    handle: async (deps, { now }) => ok(summarize(await deps.store.summaryHosts(now), now)),
  }),
  route({
    method: 'GET',
    path: '/v1/builds',
    access: 'read',
    doc: {
      summary: 'per build ID its hosts, status, newest livepatches and end-of-life horizon',
      ok: '`{"builds": [...]}`',
    },
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
    doc: {
      summary: 'a livepatch module the repository lists',
      ok: 'the file',
      okType: 'application/octet-stream',
      errors: {
        400: 'not 64 lower-case hex digits',
        404: 'the repository lists no such file, or it cannot be read',
      },
    },
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
    doc: {
      summary: 'the result of an apply, rollback or unload',
      ok: '`{"stored": true}`',
      okSchema: z.object({ stored: z.literal(true) }),
    },
    body: hostEventSchema,
    handle: async (deps, { hostId, body, now }) => {
      const { kind, ...detail } = body;
      await deps.store.saveEvent(hostId, { at: now, kind, detail });
      await deps.rollouts.onEvent(hostId, body, now);
      return ok({ stored: true });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/repository/refresh',
    access: 'admin',
    doc: {
      summary: 'read the repository again and re-evaluate every host',
      ok: '`{"changed", "hosts", "livepatches", "reevaluated"}`; `reevaluated` false when another server sharing the database does it',
      okSchema: z.object({
        changed: z.boolean(),
        hosts: z.number().int(),
        livepatches: z.number().int(),
        reevaluated: z.boolean(),
      }),
      errors: { 422: 'the repository does not read' },
    },
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
  route({
    method: 'DELETE',
    path: '/v1/hosts/{id}',
    access: 'admin',
    doc: {
      summary: 'delete a host with its report, history and events; its token stops working',
      ok: '`{"deleted": true}`',
      okSchema: z.object({ deleted: z.literal(true) }),
      errors: { 404: 'no such host' },
    },
    handle: async (deps, { hostId }) => {
      if (!(await deps.store.deleteHost(hostId))) throw new HttpError(404, `no host ${hostId}`);
      return ok({ deleted: true });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/tokens',
    access: 'admin',
    doc: {
      summary: 'the API tokens: ids, roles and creation times, never a secret',
      ok: '`{"tokens": [{"id", "role", "createdAt"}]}`',
      okSchema: z.object({
        tokens: z.array(
          z.object({ id: z.string(), role: z.enum(['admin', 'viewer']), createdAt: z.string() }),
        ),
      }),
    },
    handle: async (deps) => ok({ tokens: await deps.store.listTokens() }),
  }),
  route({
    method: 'DELETE',
    path: '/v1/tokens/{id}',
    access: 'admin',
    doc: {
      summary: 'revoke an API token: it stops working at once',
      ok: '`{"revoked": true}`',
      okSchema: z.object({ revoked: z.literal(true) }),
      errors: { 404: 'no token with that id' },
    },
    handle: async (deps, { param }) => {
      if (!(await deps.store.revokeToken(param))) throw new HttpError(404, `no token ${param}`);
      return ok({ revoked: true });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/enroll-secrets',
    access: 'admin',
    doc: {
      summary: 'the enrollment secrets: ids, terms and use, never a secret',
      ok: '`{"secrets": [{"id", "expires", "maxHosts", "used", "labels", "createdAt"}]}`',
      okSchema: z.object({
        secrets: z.array(
          z.object({
            id: z.string(),
            expires: z.string().nullable(),
            maxHosts: z.number().int().nullable(),
            used: z.number().int(),
            labels: z.array(z.string()),
            createdAt: z.string(),
          }),
        ),
      }),
    },
    handle: async (deps) => ok({ secrets: await deps.store.listEnrollSecrets() }),
  }),
  route({
    method: 'DELETE',
    path: '/v1/enroll-secrets/{id}',
    access: 'admin',
    doc: {
      summary: 'revoke an enrollment secret: it enrolls no more hosts (those it enrolled stay)',
      ok: '`{"revoked": true}`',
      okSchema: z.object({ revoked: z.literal(true) }),
      errors: { 404: 'no secret with that id' },
    },
    handle: async (deps, { param }) => {
      if (!(await deps.store.revokeEnrollSecret(param)))
        throw new HttpError(404, `no enrollment secret ${param}`);
      return ok({ revoked: true });
    },
  }),
  ...rolloutRoutes.map((r) => r as unknown as Route<unknown>),
];

/** Whether `principal` may call a route of `access` for `hostId`: 401 without one, 403 when not allowed. */
export function authorize(access: Access, principal: Principal | undefined, hostId: string): void {
  if (access === 'public' || access === 'enroll') return;
  // A host's token the server does not know (the host was deleted, or the database replaced):
  // the answer says to enroll again.
  if (principal === undefined)
    throw new HttpError(
      401,
      'a valid bearer token is needed',
      undefined,
      access === 'host' || access === 'any-host' ? { reenroll: true } : undefined,
    );
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
