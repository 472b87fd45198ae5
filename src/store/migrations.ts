/** The SQL dialects the store speaks. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * The few words where SQLite and PostgreSQL differ in a schema. A migration writes them as
 * `${w.word}`; everything else is SQL both read.
 */
interface SchemaWords {
  /** bytes (a credential's hash) */
  readonly bytes: string;
  /** a text key compared byte by byte, as SQLite's BINARY collation does (host ids page in this order) */
  readonly key: string;
  /** a column that orders rows by insertion: SQLite has its rowid, PostgreSQL needs one */
  readonly insertOrder: string;
  /** an integer key the database counts up: SQLite's rowid alias, PostgreSQL's sequence */
  readonly serialKey: string;
}

const WORDS: Readonly<Record<Dialect, SchemaWords>> = {
  sqlite: { bytes: 'BLOB', key: 'TEXT', insertOrder: '', serialKey: 'INTEGER PRIMARY KEY' },
  postgres: {
    bytes: 'BYTEA',
    key: 'TEXT COLLATE "C"',
    insertOrder: '\n  id BIGSERIAL PRIMARY KEY,',
    serialKey: 'BIGSERIAL PRIMARY KEY',
  },
};

export interface Migration {
  readonly version: number;
  /** the migration's statements in the dialect's words */
  readonly sql: (dialect: Dialect) => string;
}

/**
 * The versioned schema, one list for every engine: a migration is applied once, in order, and never
 * edited after it ships (add a new one). Its SQL is one text; where the dialects differ it names the
 * word (`SchemaWords`), so an engine cannot drift from the others.
 */
export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    sql: (dialect) => {
      const w = WORDS[dialect];
      return `
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
  hash ${w.bytes} NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE enroll_secrets (
  id TEXT PRIMARY KEY,
  hash ${w.bytes} NOT NULL,
  expires_at BIGINT,
  max_hosts INTEGER,
  used INTEGER NOT NULL DEFAULT 0,
  labels TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE hosts (
  id ${w.key} PRIMARY KEY,
  machine_id TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL,
  token_hash ${w.bytes} NOT NULL,
  labels TEXT NOT NULL,
  enrolled_at BIGINT NOT NULL,
  seq BIGINT,
  boot_id TEXT,
  build_id TEXT,
  release TEXT,
  status TEXT NOT NULL DEFAULT 'unknown',
  reboot TEXT NOT NULL DEFAULT 'no',
  expires TEXT,
  last_seen BIGINT,
  interval_s INTEGER,
  report TEXT,
  plan TEXT
);
CREATE INDEX hosts_status ON hosts (status);
CREATE INDEX hosts_build ON hosts (build_id);
CREATE INDEX hosts_last_seen ON hosts (last_seen);
CREATE TABLE host_labels (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  PRIMARY KEY (host_id, label)
);
CREATE INDEX host_labels_label ON host_labels (label);
CREATE TABLE report_history (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  report TEXT NOT NULL,
  PRIMARY KEY (host_id, seq)
);
CREATE TABLE host_events (${w.insertOrder}
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX host_events_host ON host_events (host_id, at);
`;
    },
  },
  {
    // The list pages in id order under a filter: an index on (filter column, id) reads one page
    // instead of sorting every matching host. The plain (status) and (build_id) indexes are covered
    // by these. The summary counts in one pass over hosts_summary, which holds every column it reads.
    version: 2,
    sql: () => `
DROP INDEX hosts_status;
DROP INDEX hosts_build;
CREATE INDEX hosts_status_id ON hosts (status, id);
CREATE INDEX hosts_reboot_id ON hosts (reboot, id);
CREATE INDEX hosts_build_id ON hosts (build_id, id);
CREATE INDEX hosts_release_id ON hosts (release, id);
CREATE INDEX hosts_summary ON hosts (build_id, release, status, reboot, expires, interval_s, last_seen);
`,
  },
  {
    // Rollouts (docs/fleet.md, "Rollouts"): the rollout as one JSON document, each host's place in
    // it, pins, the audit log and the webhook deliveries. A rollout's hosts stay when a host is
    // deleted (the rollout's record of what happened).
    version: 3,
    sql: (dialect) => {
      const w = WORDS[dialect];
      return `
CREATE TABLE rollouts (
  id TEXT PRIMARY KEY,
  component TEXT NOT NULL,
  replace_set INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX rollouts_set ON rollouts (component, replace_set, created_at);
CREATE TABLE rollout_hosts (
  rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  host_id ${w.key} NOT NULL,
  wave INTEGER NOT NULL,
  build_id TEXT,
  from_to TEXT,
  plan_given_at BIGINT,
  applied_at BIGINT,
  failed_at BIGINT,
  reason TEXT,
  acknowledged INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (rollout_id, host_id)
);
CREATE INDEX rollout_hosts_host ON rollout_hosts (host_id);
CREATE INDEX rollout_hosts_wave ON rollout_hosts (rollout_id, wave);
CREATE TABLE pins (
  target_kind TEXT NOT NULL CHECK (target_kind IN ('host', 'label')),
  target TEXT NOT NULL,
  component TEXT NOT NULL,
  replace_set INTEGER NOT NULL,
  to_version TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (target_kind, target, component, replace_set)
);
CREATE TABLE audit_log (
  id ${w.serialKey},
  at BIGINT NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TABLE webhook_deliveries (
  event_id TEXT NOT NULL,
  url TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  delivered_at BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (event_id, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_at);
`;
    },
  },
  {
    // The dashboard: a search by hostname prefix (case-insensitive) and the host list sorted by
    // hostname or last check-in, each page read from an index in order (src/store/host-list.ts);
    // silent hosts found by the time they fall silent (an index on it), stuck hosts by a column
    // set from each report (a transition not completing, or tasks blocking one).
    // SQLite's LIKE 'x%' reads a NOCASE index; PostgreSQL's LIKE reads a text_pattern_ops index
    // over lower(hostname). The sort indexes compare bytes ("C"), as the id order does. The
    // session key (one row) signs the dashboard's cookies, so every server on one database
    // accepts the sessions of the others.
    version: 4,
    sql: (dialect) =>
      dialect === 'sqlite'
        ? `
CREATE INDEX hosts_hostname_search ON hosts (hostname COLLATE NOCASE);
CREATE INDEX hosts_hostname_id ON hosts (hostname, id);
CREATE INDEX hosts_last_seen_id ON hosts (COALESCE(last_seen, -1), id);
CREATE INDEX hosts_silent_at ON hosts ((last_seen + 2000 * interval_s));
ALTER TABLE hosts ADD COLUMN stuck INTEGER NOT NULL DEFAULT 0;
CREATE INDEX hosts_stuck_id ON hosts (stuck, id);
CREATE TABLE dashboard_keys (id TEXT PRIMARY KEY, key BLOB NOT NULL, created_at BIGINT NOT NULL);
`
        : `
CREATE INDEX hosts_hostname_search ON hosts (lower(hostname) text_pattern_ops);
CREATE INDEX hosts_hostname_id ON hosts ((hostname COLLATE "C"), id);
CREATE INDEX hosts_last_seen_id ON hosts ((COALESCE(last_seen, -1)), id);
CREATE INDEX hosts_silent_at ON hosts ((last_seen + 2000 * interval_s));
ALTER TABLE hosts ADD COLUMN stuck INTEGER NOT NULL DEFAULT 0;
CREATE INDEX hosts_stuck_id ON hosts (stuck, id);
CREATE TABLE dashboard_keys (id TEXT PRIMARY KEY, key BYTEA NOT NULL, created_at BIGINT NOT NULL);
`,
  },
  {
    // Clone detection (src/fleet cloneConflict): the boot before the stored report's, and the
    // conflict a host is in (why, or null). What several servers on one database share: the
    // rate-limit windows, and the hash of the repository every host was last assessed against.
    // (The index on when a host falls silent is version 4's.)
    version: 5,
    sql: (dialect) => `
ALTER TABLE hosts ADD COLUMN previous_boot_id TEXT;
ALTER TABLE hosts ADD COLUMN conflict TEXT;
CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  start_at BIGINT NOT NULL,
  window_ms BIGINT NOT NULL,
  used INTEGER NOT NULL
);
CREATE TABLE repository_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hash TEXT NOT NULL,
  evaluated_at BIGINT NOT NULL
);
${dialect === 'sqlite' ? HOST_COUNTS : ''}`,
  },
  {
    // Re-evaluation by fingerprint (src/fleet reportFingerprint): hosts whose reports assess alike
    // share one fingerprint, so a repository change assesses one report per fingerprint and writes
    // each answer with one UPDATE over the index. Plans are kept once per distinct text
    // (shared_plans, keyed by its sha256) and a host names its plan by key, so that UPDATE writes a
    // key and not kilobytes per host. A row stored before this migration keeps its plan in `plan`
    // and no fingerprint: it is assessed alone at the next re-evaluation, which writes both.
    version: 6,
    sql: () => `
ALTER TABLE hosts ADD COLUMN fingerprint TEXT;
ALTER TABLE hosts ADD COLUMN plan_key TEXT;
CREATE INDEX hosts_fingerprint ON hosts (fingerprint, id);
CREATE TABLE shared_plans (
  key TEXT PRIMARY KEY,
  plan TEXT NOT NULL
);
`,
  },
  {
    // A substring search of hostnames and ids (docs/fleet.md, "Dashboard"), from a trigram index.
    // SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34 and later), over hostname and
    // id, holding the index only (its content is the hosts table's), keyed by hosts.search_key: a
    // key of the host's own, which a dump and reload keeps (a table without an INTEGER PRIMARY KEY
    // may get new rowids then, and VACUUM may renumber them); triggers keep it as hosts come, are
    // renamed and go (an external-content index is told the old values it forgets). PostgreSQL: pg_trgm's GIN indexes, which serve LIKE '%x%';
    // the extension is trusted (a role with CREATE on the database may create it) and is made in
    // public where the role may, so that no schema of the tables owns it (dropping one would
    // drop it for every other), else in the tables' schema; the indexes name its schema.
    // And the hosts page filtered by status (the fleet page's links) in hostname or last check-in
    // order, and by reboot need or build in hostname order: each reads its page from an index in
    // order instead of sorting every match (367 ms at 1,000,000 hosts for the end-of-life ones).
    // On SQLite the index of when a host falls silent holds every column the summary reads of a
    // silent host, so counting the silent ones reads the index only (240 ms for 20,000 silent hosts
    // of 1,000,000 with a lookup of each row, 30 ms without).
    version: 7,
    sql: (dialect) => (dialect === 'sqlite' ? SQLITE_SEARCH : POSTGRES_SEARCH),
  },
];

const SQLITE_SEARCH = `
DROP INDEX hosts_silent_at;
CREATE INDEX hosts_silent_cover ON hosts ((last_seen + 2000 * interval_s), build_id, release, status, reboot,
  expires, interval_s, last_seen);
CREATE INDEX hosts_status_hostname ON hosts (status, hostname, id);
CREATE INDEX hosts_status_last_seen ON hosts (status, COALESCE(last_seen, -1), id);
CREATE INDEX hosts_reboot_hostname ON hosts (reboot, hostname, id);
CREATE INDEX hosts_build_hostname ON hosts (build_id, hostname, id);
ALTER TABLE hosts ADD COLUMN search_key INTEGER;
UPDATE hosts SET search_key = rowid;
CREATE UNIQUE INDEX hosts_search_key ON hosts (search_key);
CREATE VIRTUAL TABLE hosts_search USING fts5(hostname, id, content='hosts', content_rowid='search_key', tokenize='trigram');
INSERT INTO hosts_search (rowid, hostname, id) SELECT search_key, hostname, id FROM hosts;
CREATE TRIGGER hosts_search_insert AFTER INSERT ON hosts BEGIN
  UPDATE hosts SET search_key = (SELECT COALESCE(MAX(search_key), 0) + 1 FROM hosts) WHERE rowid = new.rowid;
  INSERT INTO hosts_search (rowid, hostname, id) SELECT search_key, hostname, id FROM hosts WHERE rowid = new.rowid;
END;
CREATE TRIGGER hosts_search_rename AFTER UPDATE OF hostname ON hosts WHEN old.hostname IS NOT new.hostname BEGIN
  INSERT INTO hosts_search (hosts_search, rowid, hostname, id) VALUES ('delete', old.search_key, old.hostname, old.id);
  INSERT INTO hosts_search (rowid, hostname, id) VALUES (new.search_key, new.hostname, new.id);
END;
CREATE TRIGGER hosts_search_delete AFTER DELETE ON hosts BEGIN
  INSERT INTO hosts_search (hosts_search, rowid, hostname, id) VALUES ('delete', old.search_key, old.hostname, old.id);
END;
`;

const POSTGRES_SEARCH = `
CREATE INDEX hosts_status_hostname ON hosts (status, (hostname COLLATE "C"), id);
CREATE INDEX hosts_status_last_seen ON hosts (status, (COALESCE(last_seen, -1)), id);
CREATE INDEX hosts_reboot_hostname ON hosts (reboot, (hostname COLLATE "C"), id);
CREATE INDEX hosts_build_hostname ON hosts (build_id, (hostname COLLATE "C"), id);
DO $$
DECLARE
  trgm TEXT;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    -- (nested: has_schema_privilege fails on a schema that does not exist)
    IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
      IF has_schema_privilege('public', 'CREATE') THEN
        CREATE EXTENSION pg_trgm WITH SCHEMA public;
      END IF;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
      CREATE EXTENSION pg_trgm;
    END IF;
  END IF;
  SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX hosts_hostname_trgm ON hosts USING gin (lower(hostname) %I.gin_trgm_ops)', trgm);
  EXECUTE format('CREATE INDEX hosts_id_trgm ON hosts USING gin (id %I.gin_trgm_ops)', trgm);
END
$$;
`;

/**
 * SQLite's summary counts, kept as hosts change (src/store/sqlite-store.ts): one row per group of
 * hosts alike in what the summary reads, a null kept as '' (-1 for the interval) so that the key
 * is a primary key. Only reported hosts count. PostgreSQL counts with a GROUP BY (not built there).
 */
const HOST_COUNTS = `
CREATE TABLE host_counts (
  build_id TEXT NOT NULL,
  release TEXT NOT NULL,
  status TEXT NOT NULL,
  reboot TEXT NOT NULL,
  expires TEXT NOT NULL,
  interval_s INTEGER NOT NULL,
  hosts INTEGER NOT NULL,
  PRIMARY KEY (build_id, release, status, reboot, expires, interval_s)
);
INSERT INTO host_counts (build_id, release, status, reboot, expires, interval_s, hosts)
  SELECT COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
         COALESCE(interval_s, -1), COUNT(*)
    FROM hosts WHERE last_seen IS NOT NULL
    GROUP BY COALESCE(build_id, ''), COALESCE(release, ''), status, reboot, COALESCE(expires, ''),
             COALESCE(interval_s, -1);
`;

/** How many reports of one host the history keeps besides the latest. */
export const HISTORY_PER_HOST = 20;
/** How many events `GET /v1/hosts/{id}` shows, newest first. */
export const EVENTS_SHOWN = 50;
