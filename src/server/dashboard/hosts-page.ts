import {
  HOST_ORDERS,
  type HostFilter,
  type HostOrder,
  parseHostQuery,
  REBOOT_ORDER,
  SEARCH_MODES,
  STATUS_ORDER,
} from '../../fleet/index.js';
import type { HostRow } from '../../store/index.js';
import { html, queryString } from './html.js';
import { badge, page, scrolling, type Viewer } from './layout.js';

/** The API's filters (`GET /v1/hosts`) and the dashboard's own: search, stuck, order. */
const API_KEYS = ['status', 'reboot', 'buildId', 'release', 'label', 'silent', 'checkinAge', 'limit'];
const PAGE_SIZES = ['25', '50', '100', '500'];

/** The hosts page's query as given (to fill the form and build links) and what the store is asked. */
export interface HostsQuery {
  readonly given: Readonly<Record<string, string | string[]>>;
  readonly filter: HostFilter & { readonly stuck?: boolean };
}

/** A cursor of the dashboard: the last row's sort value and id, base64url JSON. */
const encodeAfter = (value: string | number, id: string) =>
  Buffer.from(JSON.stringify([value, id])).toString('base64url');

function decodeAfter(text: string): { value: string | number; id: string } | undefined {
  try {
    const [value, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    if ((typeof value === 'string' || typeof value === 'number') && typeof id === 'string')
      return { value, id };
  } catch {}
  return undefined;
}

/** The hosts page's query string read: the API's filters as the API reads them, then search, stuck, sort and page. */
export function readHostsQuery(
  params: URLSearchParams,
): { ok: true; query: HostsQuery } | { ok: false; message: string } {
  const api = new URLSearchParams();
  const given: Record<string, string | string[]> = {};
  for (const key of API_KEYS)
    for (const v of params.getAll(key)) {
      // a label box may hold several labels, space-separated; an empty box is no filter
      for (const part of key === 'label' ? v.split(/\s+/) : [v.trim()])
        if (part !== '') api.append(key, part);
    }
  for (const key of [...API_KEYS, 'q', 'match', 'sort', 'dir', 'stuck', 'after'])
    if (params.has(key)) given[key] = key === 'label' ? api.getAll('label') : params.get(key)!.trim();
  if (!api.has('limit')) api.set('limit', '50');
  const parsed = parseHostQuery(api);
  if (!parsed.ok) return { ok: false, message: `${parsed.path}: ${parsed.message}` };
  // id order by default: the API's, read from the (filter column, id) indexes in order, so a
  // filtered page reads its rows and sorts nothing
  const by = (HOST_ORDERS as ReadonlyArray<string>).includes(String(given.sort))
    ? (given.sort as HostOrder['by'])
    : 'id';
  const desc = given.dir === 'desc';
  const after = typeof given.after === 'string' && given.after !== '' ? decodeAfter(given.after) : undefined;
  if (given.after !== undefined && given.after !== '' && after === undefined)
    return { ok: false, message: 'after: not a page cursor' };
  const q = typeof given.q === 'string' ? given.q.slice(0, 253) : '';
  const substring = given.match === 'substring';
  return {
    ok: true,
    query: {
      given,
      filter: {
        ...parsed.filter,
        ...(q === '' ? {} : { search: q, searchMode: substring ? 'substring' : 'prefix' }),
        ...(given.stuck === 'true' ? { stuck: true } : {}),
        order: { by, desc },
        ...(after === undefined ? {} : by === 'id' ? { after: after.id } : { afterKey: after }),
      },
    },
  };
}

/** The cursor of the page after `rows`, in the query's order. */
export function nextCursor(query: HostsQuery, rows: ReadonlyArray<HostRow>): string {
  const last = rows[rows.length - 1]!;
  const by = query.filter.order?.by ?? 'id';
  const value =
    by === 'hostname'
      ? last.hostname
      : by === 'lastSeen'
        ? last.lastSeen === null
          ? -1
          : Date.parse(last.lastSeen)
        : last.id;
  return encodeAfter(value, last.id);
}

const one = (given: HostsQuery['given'], key: string) =>
  typeof given[key] === 'string' ? (given[key] as string) : '';

function select(name: string, label: string, values: ReadonlyArray<string>, chosen: string, any: string) {
  return html`<label>${label}<select name="${name}"><option value="">${any}</option>${values.map(
    (v) => html`<option value="${v}"${v === chosen ? html` selected` : ''}>${v}</option>`,
  )}</select></label>`;
}

/** The hosts table with every filter of `GET /v1/hosts`, the search, sorting by column and pages. */
export function hostsPage(
  viewer: Viewer,
  query: HostsQuery | undefined,
  rows: ReadonlyArray<HostRow>,
  next: string | null,
  problem?: string,
): string {
  const g = query?.given ?? {};
  const links = (more: Record<string, string | undefined>) =>
    `/hosts${queryString({ ...Object.fromEntries(Object.entries(g).filter(([k]) => k !== 'after')), ...more })}`;
  const by = query?.filter.order?.by ?? 'id';
  const desc = query?.filter.order?.desc ?? false;
  const sortHeader = (key: HostOrder['by'], label: string) => {
    const current = by === key;
    return html`<th scope="col" aria-sort="${current ? (desc ? 'descending' : 'ascending') : 'none'}"><a href="${links({ sort: key, dir: current && !desc ? 'desc' : 'asc' })}">${label}${current ? (desc ? ' ▼' : ' ▲') : ''}</a></th>`;
  };
  const form = html`<form class="filters" method="get" action="/hosts" role="search" aria-label="Filter hosts">
<label>Search hostname or id<input type="search" name="q" value="${one(g, 'q')}"></label>
${select('match', 'Match', SEARCH_MODES.slice(1), one(g, 'match'), 'prefix')}
${select('status', 'Status', STATUS_ORDER, one(g, 'status'), 'any status')}
${select('reboot', 'Reboot need', REBOOT_ORDER, one(g, 'reboot'), 'any')}
<label>Build ID<input name="buildId" value="${one(g, 'buildId')}" size="14" class="mono"></label>
<label>Release<input name="release" value="${one(g, 'release')}" size="14"></label>
<label>Labels (k:v, all must match)<input name="label" value="${Array.isArray(g.label) ? g.label.join(' ') : ''}" size="16"></label>
<label>Seen within<input name="checkinAge" value="${one(g, 'checkinAge')}" size="5" placeholder="1d"></label>
<label><span><input type="checkbox" name="silent" value="true"${one(g, 'silent') === 'true' ? html` checked` : ''}> silent only</span></label>
<label><span><input type="checkbox" name="stuck" value="true"${one(g, 'stuck') === 'true' ? html` checked` : ''}> stuck only</span></label>
${select('sort', 'Sort by', HOST_ORDERS, by, 'id')}
${select('dir', 'Order', ['asc', 'desc'], desc ? 'desc' : 'asc', 'asc')}
${select('limit', 'Per page', PAGE_SIZES, one(g, 'limit'), 'default (50)')}
<button type="submit">Filter</button> <a href="/hosts">Clear</a></form>`;
  const table = scrolling(
    'Hosts',
    html`<table><thead><tr>${sortHeader('hostname', 'hostname')}${sortHeader('id', 'id')}<th scope="col">release</th><th scope="col">build ID</th><th scope="col">status</th><th scope="col">reboot</th>${sortHeader('lastSeen', 'last check-in')}<th scope="col">labels</th></tr></thead><tbody>${rows.map(
      (h) =>
        html`<tr><td><a href="/hosts/${h.id}">${h.hostname}</a></td><td class="mono">${h.id.slice(0, 8)}</td><td class="mono">${h.release ?? '—'}</td><td class="mono"><a href="${`/hosts${queryString({ buildId: h.buildId ?? undefined })}`}">${h.buildId?.slice(0, 12) ?? '—'}</a></td><td>${badge(h.status)}</td><td>${badge(h.reboot)}</td><td>${h.lastSeen?.replace('T', ' ').slice(0, 19) ?? 'never'}</td><td>${h.labels.join(' ')}</td></tr>`,
    )}</tbody></table>`,
  );
  const pager = html`<nav class="pager" aria-label="Pages">${g.after ? html`<a href="${links({})}">First page</a>` : ''}${
    next === null
      ? html`<span class="muted">Last page</span>`
      : html`<a href="${links({ after: next })}" rel="next">Next page</a>`
  }</nav>`;
  const content = html`<h1>Hosts</h1>${form}${problem === undefined ? '' : html`<p class="notice" role="alert">${problem}</p>`}
<p class="muted">${rows.length === 0 ? 'No host matches.' : `${rows.length} hosts on this page.`}</p>${rows.length === 0 ? '' : table}${pager}`;
  return page('Hosts', 'hosts', viewer, content);
}
