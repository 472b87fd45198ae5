/**
 * The versioned schema, one list for every engine: a migration is applied once, in order, and never
 * edited after it ships (add a new one). Plain SQL that SQLite and PostgreSQL both read.
 */
export const migrations: ReadonlyArray<{ readonly version: number; readonly sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
  hash BLOB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE enroll_secrets (
  id TEXT PRIMARY KEY,
  hash BLOB NOT NULL,
  expires_at BIGINT,
  max_hosts INTEGER,
  used INTEGER NOT NULL DEFAULT 0,
  labels TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  machine_id TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL,
  token_hash BLOB NOT NULL,
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
CREATE TABLE host_events (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX host_events_host ON host_events (host_id, at);
`,
  },
];

/** How many reports of one host the history keeps besides the latest. */
export const HISTORY_PER_HOST = 20;
/** How many events `GET /v1/hosts/{id}` shows, newest first. */
export const EVENTS_SHOWN = 50;
