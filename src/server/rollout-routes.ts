import type { ZodType } from 'zod';
import * as z from 'zod';
import {
  type PinKey,
  type PinSpec,
  pinKeySchema,
  pinSchema,
  type RolloutAction,
  type RolloutSpec,
  rolloutSpecSchema,
} from '../fleet/index.js';
import type { FleetStore, Principal } from '../store/index.js';
import { HttpError } from './http-io.js';
import type { RolloutService } from './rollout-service.js';

/*
 * The rollout, pin and audit endpoints (docs/fleet.md, "Rollouts"). They are routes of the table in
 * routes.ts, written here against only what they use of it, so this file and that one do not
 * import each other.
 */

interface Deps {
  readonly store: FleetStore;
  readonly rollouts: RolloutService;
}

interface Call<B> {
  readonly param: string;
  readonly body: B;
  readonly query: URLSearchParams;
  readonly now: number;
  readonly principal?: Principal | undefined;
}

interface RolloutRoute<B> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly access: 'read' | 'admin';
  readonly body?: ZodType<B>;
  /** the body may be left out (DELETE /v1/pins names the pin in the query instead) */
  readonly optionalBody?: boolean;
  readonly doc: {
    readonly summary: string;
    readonly ok: string;
    readonly okSchema?: ZodType;
    readonly query?: ZodType;
    readonly errors?: Readonly<Record<number, string>>;
  };
  readonly handle: (deps: Deps, call: Call<B>) => Promise<{ status: number; body: unknown }>;
}

const ok = (body: unknown) => ({ status: 200, body });
const rolloutRoute = <B>(r: RolloutRoute<B>): RolloutRoute<unknown> => r as unknown as RolloutRoute<unknown>;

/** Who did it, for the audit log: the admin token's id. */
export const who = (principal: Principal | undefined): string =>
  principal?.kind === 'role'
    ? principal.tokenId
    : principal?.kind === 'host'
      ? `host:${principal.hostId}`
      : 'none';

/** `GET /v1/rollouts/{id}` as the OpenAPI document describes it (src/fleet `rolloutView` makes it). */
export const rolloutViewSchema = z.strictObject({
  id: z.string(),
  state: z.enum(['running', 'halted', 'paused', 'done', 'aborted', 'rolled-back']),
  reason: z.string(),
  component: z.string(),
  replaceSet: z.number().int(),
  to: z.string(),
  update: z.string().nullable(),
  haltedHosts: z.array(z.string()),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  outOfScope: z.array(z.string()),
  inNoWave: z.number().int(),
  waves: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['pending', 'open', 'soaking', 'done']),
      hosts: z.number().int(),
      applied: z.number().int(),
      failed: z.number().int(),
      pending: z.number().int(),
      failures: z.array(z.object({ host: z.string(), reason: z.string(), acknowledged: z.boolean() })),
      select: z.union([z.object({ label: z.string() }), z.object({ percent: z.number() })]),
      failureBudget: z.union([z.number().int(), z.string()]),
      soak: z.string(),
      deadline: z.string(),
      openedAt: z.string().nullable(),
      completedAt: z.string().nullable(),
    }),
  ),
});

const auditQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });

const action = (name: RolloutAction, summary: string) =>
  rolloutRoute({
    method: 'POST',
    path: `/v1/rollouts/{id}/${name}`,
    access: 'admin',
    doc: {
      summary,
      ok: 'the rollout, as `GET /v1/rollouts/{id}` shows it',
      okSchema: rolloutViewSchema,
      errors: { 404: 'no such rollout', 409: 'the rollout is in a state that does not allow it' },
    },
    handle: async (deps, { param, now, principal }) =>
      ok(await deps.rollouts.act(param, name, who(principal), now)),
  });

export const rolloutRoutes: ReadonlyArray<RolloutRoute<unknown>> = [
  rolloutRoute<RolloutSpec>({
    method: 'POST',
    path: '/v1/rollouts',
    access: 'admin',
    body: rolloutSpecSchema,
    doc: {
      summary: 'start a rollout of a livepatch version in waves',
      ok: '`{"id"}` and the rollout as `GET /v1/rollouts/{id}` shows it; its first wave is open',
      okSchema: rolloutViewSchema,
      errors: {
        409: 'a rollout of that component and replace set is running, halted or paused',
        422: 'the repository publishes no such version (or the update has none)',
      },
    },
    handle: async (deps, { body, now, principal }) => {
      const rollout = await deps.rollouts.start(body, who(principal), now);
      return ok(await deps.rollouts.view(rollout.id, now));
    },
  }),
  rolloutRoute({
    method: 'GET',
    path: '/v1/rollouts',
    access: 'read',
    doc: {
      summary: 'every rollout, newest first',
      ok: '`{"rollouts": [...]}`, each as `GET /v1/rollouts/{id}`',
    },
    handle: async (deps, { now }) => ok({ rollouts: await deps.rollouts.list(now) }),
  }),
  rolloutRoute({
    method: 'GET',
    path: '/v1/rollouts/{id}',
    access: 'read',
    doc: {
      summary: 'one rollout: its state, reason, and per wave its counts and failures',
      ok: '`{"id", "state", "reason", "waves": [{"name", "state", "hosts", "applied", "failed", "pending", "failures": [{"host", "reason"}]}], ...}`',
      okSchema: rolloutViewSchema,
      errors: { 404: 'no such rollout' },
    },
    handle: async (deps, { param, now }) => ok(await deps.rollouts.view(param, now)),
  }),
  action('pause', 'pause a running rollout: no wave opens until it resumes'),
  action('resume', 'resume a halted or paused rollout; a halt is resumed by acknowledging its failures'),
  action('abort', 'abort a rollout: no wave opens again; hosts keep what they run'),
  action(
    'rollback',
    'roll a rollout back: every host of its opened waves is planned back to the version it ran before',
  ),
  rolloutRoute<PinSpec>({
    method: 'PUT',
    path: '/v1/pins',
    access: 'admin',
    body: pinSchema,
    doc: { summary: 'pin a host or a label to a version of a component and replace set', ok: 'the pin' },
    handle: async (deps, { body, now, principal }) =>
      ok(await deps.rollouts.putPin(body, who(principal), now)),
  }),
  rolloutRoute({
    method: 'GET',
    path: '/v1/pins',
    access: 'read',
    doc: {
      summary: 'every pin',
      ok: '`{"pins": [{"target": {"host"} | {"label"}, "component", "replaceSet", "to", "createdAt", "createdBy"}]}`',
    },
    handle: async (deps) => ok({ pins: await deps.store.listPins() }),
  }),
  rolloutRoute<PinKey | undefined>({
    method: 'DELETE',
    path: '/v1/pins',
    access: 'admin',
    body: pinKeySchema as ZodType<PinKey | undefined>,
    optionalBody: true,
    doc: {
      summary: 'remove a pin, named in the body or the query (`host` or `label`, `component`, `replaceSet`)',
      ok: '`{"deleted": true}`',
      okSchema: z.object({ deleted: z.literal(true) }),
      errors: { 404: 'no such pin' },
    },
    handle: async (deps, { body, query }) => {
      let key = body;
      if (key === undefined) {
        const parsed = pinKeySchema.safeParse(Object.fromEntries(query));
        if (!parsed.success)
          throw new HttpError(
            400,
            parsed.error.issues[0]?.message ?? 'invalid',
            parsed.error.issues[0]?.path.join('.'),
          );
        key = parsed.data;
      }
      if (!(await deps.rollouts.deletePin(key))) throw new HttpError(404, 'no such pin');
      return ok({ deleted: true });
    },
  }),
  rolloutRoute({
    method: 'GET',
    path: '/v1/audit',
    access: 'admin',
    doc: {
      summary: 'the audit log: every admin action, newest first, with who (the token id) and when',
      ok: '`{"entries": [{"at", "who", "action", "target", "detail"}]}`',
      query: auditQuerySchema,
    },
    handle: async (deps, { query }) => {
      const parsed = auditQuerySchema.safeParse(Object.fromEntries(query));
      if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]?.message ?? 'invalid', 'limit');
      return ok({ entries: await deps.store.listAudit(parsed.data.limit ?? 100) });
    },
  }),
];
