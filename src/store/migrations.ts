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
}

const WORDS: Readonly<Record<Dialect, SchemaWords>> = {
  sqlite: { bytes: 'BLOB', key: 'TEXT', insertOrder: '' },
  postgres: { bytes: 'BYTEA', key: 'TEXT COLLATE "C"', insertOrder: '\n  id BIGSERIAL PRIMARY KEY,' },
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
];

/** How many reports of one host the history keeps besides the latest. */
export const HISTORY_PER_HOST = 20;
/** How many events `GET /v1/hosts/{id}` shows, newest first. */
export const EVENTS_SHOWN = 50;
