import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { redactUrl } from '../../src/store/index.js';

/**
 * The PostgreSQL the tests use: `KLPM_TEST_PG`, a connection URL (.ci/run starts one and sets it).
 * Each suite works in a fresh schema of that database, so runs and files do not meet.
 */
export const TEST_PG = process.env.KLPM_TEST_PG ?? 'postgres://klpm:klpm@127.0.0.1:5432/klpm_test';
/** Under CI a PostgreSQL test must run: no server is a failure, not a skip. */
const REQUIRED = process.env.CI === 'true';

/** Why no PostgreSQL answers at TEST_PG, or undefined when one does. */
export async function findPostgresProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_PG, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

/** `url` with `search_path` set to `schema`, through libpq's `options` parameter. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export interface TestSchema {
  /** the URL of the database with this schema first on the search path */
  readonly url: string;
  readonly name: string;
  /** runs SQL as the test itself, in the schema */
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A new, empty schema in TEST_PG's database. */
export async function freshSchema(): Promise<TestSchema> {
  const name = `klpm_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = withSchema(TEST_PG, name);
  const admin = new pg.Client({ connectionString: TEST_PG });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    url,
    name,
    query,
    drop: async () => {
      await query(`DROP SCHEMA ${name} CASCADE`);
    },
  };
}

/**
 * `describe` for a suite that needs PostgreSQL: it runs when TEST_PG answers. When it does not, it
 * is skipped with a note saying what to set, and under CI (CI=true) it fails instead.
 */
export function describePostgres(
  name: string,
  problem: string | undefined,
  body: () => void | Promise<void>,
): void {
  if (problem === undefined) {
    describe(name, body);
    return;
  }
  const where = redactUrl(TEST_PG);
  if (REQUIRED) {
    describe(name, () => {
      it(`needs the PostgreSQL at KLPM_TEST_PG (${where})`, () => {
        throw new Error(
          `CI=true and no PostgreSQL answers at ${where}: ${problem} (.ci/run starts one with .ci/postgres.sh)`,
        );
      });
    });
    return;
  }
  console.warn(
    `skipping "${name}": no PostgreSQL answers at ${where} (${problem}); set KLPM_TEST_PG to a postgres:// URL of a database you may create schemas in (bash .ci/postgres.sh start prints one)`,
  );
  describe.skip(name, body);
}
