import { afterAll } from 'vitest';
import { openPostgresStore } from '../../src/store/index.js';
import { describePostgres, findPostgresProblem, freshSchema, type TestSchema } from '../support/postgres.js';
import { useServerStore } from '../support/server-store.js';

// The server API suite (server.test.ts) once more, over PostgreSQL in a fresh schema: the same
// tests, the same answers. Importing the suite inside this describe registers its tests here.
const problem = await findPostgresProblem();
let schema: TestSchema | undefined;

describePostgres('the server API on PostgreSQL', problem, async () => {
  useServerStore(async () => {
    schema = await freshSchema();
    return openPostgresStore(schema.url);
  });
  afterAll(async () => {
    await schema?.drop();
  });
  await import('./server.test.js');
});
