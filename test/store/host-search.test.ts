import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { HostFilter } from '../../src/fleet/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';

// SQLite's substring search (migration 7): the trigram index or a scan, chosen per search, give the
// same hosts; hosts stored before the migration are indexed by it; a dump and reload, which gives
// the hosts new rowids, leaves the index right. fleet-store.test.ts checks the answers on both engines.

const machine = (n: number) => n.toString(16).padStart(32, '0');
const dbFile = () => join(mkdtempSync(join(tmpdir(), 'klpm-search-')), 'fleet.db');

async function enrollAll(store: FleetStore, names: ReadonlyArray<string>): Promise<Map<string, string>> {
  const secret = await store.createEnrollSecret({ labels: [] });
  const ids = new Map<string, string>();
  for (const [n, hostname] of names.entries()) {
    const host = await store.enroll({ secret, machineId: machine(n), hostname, now: 0 });
    if (host.kind !== 'enrolled') throw new Error('not enrolled');
    ids.set(hostname, host.id);
  }
  return ids;
}

const substring = async (store: FleetStore, text: string, more: Partial<HostFilter> = {}) =>
  (
    await store.listHosts({ labels: [], limit: 1000, search: text, searchMode: 'substring', ...more }, 0)
  ).hosts
    .map((h) => h.hostname)
    .sort();

describe('the substring search on SQLite', () => {
  it('reads the trigram index for a rare substring and scans for a common one; both find the same hosts', async () => {
    const file = dbFile();
    const seen: string[] = [];
    const indexed = openSqliteStore(file, { onSql: (sql) => seen.push(sql), searchIndexLimit: 5 });
    const names = Array.from({ length: 120 }, (_, i) => `${['ams', 'fra', 'nyc'][i % 3]}${i % 7}-web-${i}`);
    await enrollAll(indexed, names);
    const scanning = openSqliteStore(file, { searchIndexLimit: 0 });
    const listQueries = () => seen.filter((s) => s.startsWith('SELECT') && s.includes('FROM hosts WHERE'));
    for (const text of ['web-1', 'ams3', 'WEB-11', '-web-10', 'nyc', 'zzz', 's3-', 'yc']) {
      const before = listQueries().length;
      const a = await substring(indexed, text);
      const b = await substring(scanning, text);
      expect(a, text).toEqual(b);
      expect(a, text).toEqual(names.filter((n) => n.includes(text.toLowerCase())).sort());
      const query = listQueries().slice(before).at(-1) ?? '';
      // the index for up to 5 matches of a trigram or longer, else the scan
      const rare = text.length >= 3 && a.length <= 5;
      expect(query.includes('hosts_search'), text).toBe(rare);
    }
    // the prefix search chooses the same way: its indexes for a few matches, the list's order otherwise
    const prefix = async (store: FleetStore, text: string) =>
      (await store.listHosts({ labels: [], limit: 1000, search: text }, 0)).hosts
        .map((h) => h.hostname)
        .sort();
    for (const text of ['AMS', 'ams3-web-1', 'nyc6-', 'zzz']) {
      const before = listQueries().length;
      const a = await prefix(indexed, text);
      expect(a, text).toEqual(await prefix(scanning, text));
      expect(a, text).toEqual(names.filter((n) => n.startsWith(text.toLowerCase())).sort());
      const query = listQueries().slice(before).at(-1) ?? '';
      expect(query.includes('+hostname'), text).toBe(a.length > 5);
    }
    indexed.close();
    scanning.close();
  });

  it('indexes the hosts stored before migration 7, and stays right after a dump and reload', async () => {
    const file = dbFile();
    // a database of the versions before 7, with hosts in it
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)');
    for (const m of migrations.filter((m) => m.version < 7)) {
      db.exec(m.sql('sqlite'));
      db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(m.version);
    }
    const insert = db.prepare(
      `INSERT INTO hosts (id, machine_id, hostname, token_hash, labels, enrolled_at) VALUES (?, ?, ?, x'00', '[]', 0)`,
    );
    for (let i = 0; i < 50; i++)
      insert.run(`00000000-0000-4000-a000-${String(i).padStart(12, '0')}`, machine(i), `old-${i}.example`);
    db.close();

    let store = openSqliteStore(file);
    expect(await substring(store, 'd-4.')).toEqual(['old-4.example']);
    expect(await substring(store, '-a000-000000000049')).toEqual(['old-49.example']);
    await store.close();

    // a dump and reload (sqlite3 .dump): the rows come back with new rowids, here in the reverse
    // order, the index's own tables as they were, and the triggers last, so none fires meanwhile
    const raw = new Database(file);
    raw.prepare("DELETE FROM hosts WHERE hostname LIKE 'old-1%'").run();
    const triggers = raw
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'hosts'")
      .all() as Array<{ name: string; sql: string }>;
    expect(triggers).toHaveLength(3);
    const rowids = () => raw.prepare('SELECT rowid AS r FROM hosts ORDER BY id').pluck().all();
    const before = rowids();
    for (const t of triggers) raw.exec(`DROP TRIGGER ${t.name}`);
    raw.exec(`CREATE TEMP TABLE dumped AS SELECT * FROM hosts;
DELETE FROM hosts;
INSERT INTO hosts SELECT * FROM dumped ORDER BY id DESC;`);
    for (const t of triggers) raw.exec(t.sql);
    expect(rowids()).not.toEqual(before);
    raw.close();
    store = openSqliteStore(file);
    expect(await substring(store, 'old-1')).toEqual([]);
    expect(await substring(store, 'd-2')).toEqual([
      'old-2.example',
      ...Array.from({ length: 10 }, (_, i) => `old-2${i}.example`),
    ]);
    expect(await substring(store, 'd-4.')).toEqual(['old-4.example']);
    const added = await enrollAll(store, ['new-1.example', 'new-2.example']);
    expect(await substring(store, 'new-')).toEqual(['new-1.example', 'new-2.example']);
    expect(await store.deleteHost(added.get('new-1.example')!)).toBe(true);
    expect(await substring(store, 'new-')).toEqual(['new-2.example']);
    expect(await substring(store, 'd-4.')).toEqual(['old-4.example']);
    await store.close();
  });
});
