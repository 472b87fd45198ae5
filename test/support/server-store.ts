import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';

/**
 * The store test/server/server.test.ts runs its server over: SQLite in a temporary directory,
 * unless a file that imports the suite (server-postgres.test.ts) chose another engine first.
 */
let factory: () => Promise<FleetStore> = async () =>
  openSqliteStore(join(mkdtempSync(join(tmpdir(), 'klpm-server-')), 'fleet.db'));

export const openServerStore = (): Promise<FleetStore> => factory();

export function useServerStore(open: () => Promise<FleetStore>): void {
  factory = open;
}
