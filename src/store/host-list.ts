import { encodeCursor, type HostFilter } from '../fleet/index.js';
import type { Dialect } from './migrations.js';

/**
 * The host list's query, one text for both engines (`?` marks; PostgreSQL's store numbers them):
 * the API's filters, the dashboard's search and orders. Every order pages by keyset (the last
 * row's sort value and id), read in order from an index of migration 4, so a page costs the same
 * at the millionth host as at the first.
 */
export function hostListQuery(
  dialect: Dialect,
  columns: string,
  filter: HostFilter,
  now: number,
  plan?: SearchPlan,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  const pg = dialect === 'postgres';
  if (filter.status !== undefined) add('status = ?', filter.status);
  if (filter.reboot !== undefined) add('reboot = ?', filter.reboot);
  if (filter.buildId !== undefined) add('build_id = ?', filter.buildId);
  if (filter.release !== undefined) add('release = ?', filter.release);
  for (const label of filter.labels)
    add('EXISTS (SELECT 1 FROM host_labels l WHERE l.host_id = hosts.id AND l.label = ?)', label);
  if (filter.silent)
    add(pg ? 'last_seen + 2000 * interval_s < ?::bigint' : 'last_seen + 2000 * interval_s < ?', now);
  if (filter.checkinAgeMs !== undefined)
    add(pg ? 'last_seen >= ?::bigint' : 'last_seen >= ?', now - filter.checkinAgeMs);
  if (filter.stuck === true) add('stuck = 1');
  if (filter.search !== undefined && filter.search !== '' && filter.searchMode === 'substring') {
    const text = filter.search.toLowerCase();
    if (plan === 'index')
      add('search_key IN (SELECT rowid FROM hosts_search WHERE hosts_search MATCH ?)', ftsPhrase(text));
    else {
      // PostgreSQL's pg_trgm GIN indexes (migration 7) serve these LIKEs; on SQLite the scan
      // reads the order's index and stops at the page's end (see SearchPlan)
      const like = `%${escapeLike(text)}%`;
      add(
        pg
          ? "(lower(hostname) LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')"
          : "(hostname LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')",
        like,
        like,
      );
    }
  } else if (filter.search !== undefined && filter.search !== '') {
    const text = filter.search.toLowerCase();
    const like = `${escapeLike(text)}%`;
    add(
      pg
        ? "(lower(hostname) LIKE ? ESCAPE '\\' OR (id >= ? AND id < ?))"
        : plan === 'scan'
          ? // SQLite's unary + keeps the planner off the search's own indexes: the list's order is read instead
            "(+hostname LIKE ? ESCAPE '\\' OR (+id >= ? AND +id < ?))"
          : "(hostname LIKE ? ESCAPE '\\' OR (id >= ? AND id < ?))",
      like,
      text,
      `${text}\u{10ffff}`,
    );
  }
  const order = filter.order ?? { by: 'id', desc: false };
  const key =
    order.by === 'hostname'
      ? pg
        ? 'hostname COLLATE "C"'
        : 'hostname'
      : order.by === 'lastSeen'
        ? 'COALESCE(last_seen, -1)'
        : undefined;
  const cmp = order.desc ? '<' : '>';
  if (key === undefined) {
    if (filter.after !== undefined) add(`id ${cmp} ?`, filter.after);
  } else if (filter.afterKey !== undefined)
    add(`(${key}, id) ${cmp} (?, ?)`, filter.afterKey.value, filter.afterKey.id);
  const dir = order.desc ? ' DESC' : '';
  const orderBy = key === undefined ? `id${dir}` : `${key}${dir}, id${dir}`;
  params.push(filter.limit + 1);
  const sql = `SELECT ${columns} FROM hosts ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY ${orderBy} LIMIT ?`;
  return { sql, params };
}

/**
 * How SQLite finds the hosts of a search, which its planner cannot tell without statistics (klpm
 * never runs ANALYZE): `index`, the hosts the search's own index returns (the trigram index,
 * hosts_search of migration 7, for a substring; the hostname and id indexes for a prefix), then
 * sorted, when there are few of them; `scan`, the host list read in its order with a test of each
 * row, when the text is common (the page fills after a few rows; reading a quarter of the fleet
 * through the search's index and sorting it took 1.5 s at 1,000,000 hosts) or, for a substring,
 * shorter than a trigram (which the index cannot look up). Without a plan: the search's index for
 * a prefix, a LIKE for a substring, as PostgreSQL has them (its planner has statistics and chooses
 * between its indexes and a scan by itself).
 */
export type SearchPlan = 'index' | 'scan';

/** Up to this many matches, a search reads them from its index; above it, it scans in order. */
export const SEARCH_INDEX_LIMIT = 5000;

/** The shortest text the trigram index can look up. */
export const TRIGRAM = 3;

/** A LIKE pattern's own characters escaped (the statements say `ESCAPE '\'`). */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** An FTS5 query for `text` as one phrase: with the trigram tokenizer, `text` anywhere in a column. */
export const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** One page of rows from `limit + 1` read, and the API's cursor (the last id) when more follow. */
export function pageOf<R extends { id: string }>(
  rows: R[],
  limit: number,
): { page: R[]; nextAfter: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextAfter: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
}
