import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'klpm-store-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('opening the fleet database', () => {
  it('a SQLite path in a directory that does not exist', async () => {
    const path = join(dir, 'missing', 'fleet.db');
    expect(await failure(() => openStore(path))).toBe(
      `${path}: cannot open the fleet database: Cannot open database because the directory does not exist`,
    );
  });

  it('is bad input on the command line: exit 2', async () => {
    const path = join(dir, 'missing', 'fleet.db');
    const run = await runCli(['serve', 'token', 'create', '--db', path, '--role', 'viewer']);
    expect(run.stderr).toBe(
      `klpm: ${path}: cannot open the fleet database: Cannot open database because the directory does not exist\n`,
    );
    expect(run.code).toBe(2);
  });

  it('a PostgreSQL server that refuses the connection, its password hidden', async () => {
    const message = await failure(() => openStore('postgres://klpm:s3cret@127.0.0.1:1/fleet'));
    expect(message).toMatch(
      /^postgres:\/\/klpm:\*\*\*@127\.0\.0\.1:1\/fleet: cannot open the fleet database: .*ECONNREFUSED/,
    );
    expect(message).not.toContain('s3cret');
  });
});
