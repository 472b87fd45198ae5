import { afterAll } from 'vitest';
import { openPostgresStore } from '../../src/store/index.js';
import { describePostgres, findPostgresProblem, freshSchema, type TestSchema } from '../support/postgres.js';
import { useServerStore } from '../support/server-store.js';

// The rollout API suite (rollout.test.ts) once more, over PostgreSQL in a fresh schema.
const problem = await findPostgresProblem();
let schema: TestSchema | undefined;

describePostgres('rollouts on PostgreSQL', problem, async () => {
  useServerStore(async () => {
    schema = await freshSchema();
    return openPostgresStore(schema.url);
  });
  afterAll(async () => {
    await schema?.drop();
  });
  await import('./rollout.test.js');
});
