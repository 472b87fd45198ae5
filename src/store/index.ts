/** The fleet's storage: one interface (`FleetStore`), its engines and their one migration list. */
import type { FleetStore } from './fleet-store.js';
import { isPostgresUrl, openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';

export type {
  Assessment,
  AuditEntry,
  EnrollResult,
  EnrollSecretInfo,
  EnrollTerms,
  FingerprintGroup,
  FleetStore,
  GroupAssessment,
  HostDetail,
  HostEvent,
  HostRow,
  Principal,
  ReportRecord,
  Role,
  RolloutStore,
  TokenInfo,
  WebhookDelivery,
} from './fleet-store.js';
export { type Dialect, HISTORY_PER_HOST, type Migration, migrations } from './migrations.js';
export { isPostgresUrl, openPostgresStore, redactUrl } from './postgres-store.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

/**
 * Opens the fleet store `db` names: a `postgres://` or `postgresql://` URL opens PostgreSQL,
 * anything else is a SQLite file. Either way the migrations it lacks are applied first.
 */
export async function openStore(db: string): Promise<FleetStore> {
  return isPostgresUrl(db) ? openPostgresStore(db) : openSqliteStore(db);
}
