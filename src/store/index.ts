/** The fleet's storage: one interface (`FleetStore`), its engines and their one migration list. */
export type {
  Assessment,
  EnrollResult,
  EnrollTerms,
  FleetStore,
  HostDetail,
  HostEvent,
  HostRow,
  Principal,
  ReportRecord,
  Role,
} from './fleet-store.js';
export { HISTORY_PER_HOST, migrations } from './migrations.js';
export { openSqliteStore } from './sqlite-store.js';
