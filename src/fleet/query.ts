import * as z from 'zod';
import type { ApplicabilityStatus, RebootNeed } from '../repo/index.js';
import { parseDuration } from './duration.js';
import { REBOOT_ORDER, STATUS_ORDER } from './host-status.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** A `k:v` label: the key is a word, the value anything printable after the first colon. */
export const labelSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.\-/]{1,63}:[^\s]{0,255}$/, 'a label is k:v, such as site:ams1');

/** `GET /v1/hosts` filters, as the store takes them; every given filter must match. */
export interface HostFilter {
  readonly status?: ApplicabilityStatus;
  readonly reboot?: RebootNeed;
  readonly buildId?: string;
  readonly release?: string;
  readonly labels: ReadonlyArray<string>;
  readonly silent?: boolean;
  /** only hosts seen within this many ms */
  readonly checkinAgeMs?: number;
  readonly limit: number;
  /** the last id of the previous page */
  readonly after?: string;
  /**
   * the search (`q`): a hostname (case-insensitive) or id beginning with this text, or, in
   * `substring` mode, holding it anywhere
   */
  readonly search?: string;
  /** how `search` matches; default `prefix` */
  readonly searchMode?: SearchMode;
  /** only hosts whose latest report shows a transition not completing or tasks blocking one (dashboard only) */
  readonly stuck?: boolean;
  /** the order of the page; default id, ascending (the API's only order) */
  readonly order?: HostOrder;
  /** in an order other than id: the previous page's last sort value and id */
  readonly afterKey?: { readonly value: string | number; readonly id: string };
}

/** How the search matches: a prefix (a range of an index) or a substring (a trigram index, migration 7). */
export const SEARCH_MODES = ['prefix', 'substring'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** Orders the host list can be read in, each with an index behind it (migration 4). */
export const HOST_ORDERS = ['id', 'hostname', 'lastSeen'] as const;
export interface HostOrder {
  readonly by: (typeof HOST_ORDERS)[number];
  readonly desc: boolean;
}

const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a duration is a number and s, m, h or d, such as 10m' });
    return z.NEVER;
  }
  return ms;
});

/** The query `GET /v1/hosts` takes, as a schema (the OpenAPI document lists its parameters from it). */
export const hostQuerySchema = z.strictObject({
  status: z.enum(STATUS_ORDER as [ApplicabilityStatus, ...ApplicabilityStatus[]]).optional(),
  reboot: z.enum(REBOOT_ORDER as [RebootNeed, ...RebootNeed[]]).optional(),
  buildId: z
    .string()
    .regex(/^[0-9a-f]{1,128}$/i)
    .transform((s) => s.toLowerCase())
    .optional(),
  release: z.string().min(1).max(256).optional(),
  label: z.array(labelSchema).max(32).default([]),
  silent: z.literal('true').optional(),
  checkinAge: durationSchema.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'limit is a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE))
    .optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/)
    .optional(),
  /** a hostname (case-insensitive) or id: its beginning, or with `match=substring` any part */
  q: z.string().min(1).max(253).optional(),
  match: z.enum(SEARCH_MODES).optional(),
});

/** A cursor is the last id of a page, base64url: opaque to clients. */
export const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/**
 * The filter a query string asks for, or the first bad parameter. A parameter given twice is a
 * mistake, except `label`, which repeats (all must match).
 */
export function parseHostQuery(
  params: URLSearchParams,
): { ok: true; filter: HostFilter } | { ok: false; path: string; message: string } {
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    if (key !== 'label' && values.length > 1)
      return { ok: false, path: key, message: 'given more than once' };
    raw[key] = key === 'label' ? values : values[0]!;
  }
  const parsed = hostQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, path: issue.path.map(String).join('.'), message: issue.message };
  }
  const q = parsed.data;
  return {
    ok: true,
    filter: {
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.reboot === undefined ? {} : { reboot: q.reboot }),
      ...(q.buildId === undefined ? {} : { buildId: q.buildId }),
      ...(q.release === undefined ? {} : { release: q.release }),
      labels: q.label,
      ...(q.silent === undefined ? {} : { silent: true }),
      ...(q.checkinAge === undefined ? {} : { checkinAgeMs: q.checkinAge }),
      limit: q.limit ?? DEFAULT_PAGE,
      ...(q.cursor === undefined ? {} : { after: decodeCursor(q.cursor) }),
      ...(q.q === undefined ? {} : { search: q.q }),
      ...(q.match === undefined ? {} : { searchMode: q.match }),
    },
  };
}
