import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBoundedBytes } from '../../src/host/files.js';
import { acquireLock } from '../../src/host/index.js';
import { refuseOnProblems } from '../../src/host/read-problem.js';
import { MAX_WALK_DEPTH, walkFiles } from '../../src/host/walk.js';
import { InputError } from '../../src/input/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'klpm-host-errors-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function failure(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('readBoundedBytes', () => {
  it('refuses a file larger than its bound', async () => {
    const path = join(dir, 'notes');
    writeFileSync(path, 'x'.repeat(100));
    expect(await readBoundedBytes(path, 100)).toHaveLength(100);
    expect(await failure(() => readBoundedBytes(path, 99))).toBe(
      `${path}: larger than 99 bytes: not a file the kernel or klpm writes`,
    );
  });
});

describe('acquireLock', () => {
  it('refuses a lock file that holds no process id', async () => {
    const path = join(dir, 'klpm.lock');
    writeFileSync(path, 'hello\n');
    expect(await failure(() => acquireLock(path))).toBe(
      `${path}: holds no process id: not a lock klpm wrote; remove it if no klpm is running`,
    );
  });

  it('refuses a directory where the lock goes', async () => {
    const path = join(dir, 'klpm.lock');
    mkdirSync(path);
    expect(await failure(() => acquireLock(path))).toBe(
      `${path}: not a regular file: not a lock klpm wrote; remove it if no klpm is running`,
    );
  });
});

describe('walkFiles', () => {
  it(`refuses a tree deeper than ${MAX_WALK_DEPTH} directories`, async () => {
    const deep = join(dir, ...Array.from({ length: MAX_WALK_DEPTH + 1 }, () => 'd'));
    mkdirSync(deep, { recursive: true });
    expect(await failure(() => walkFiles(dir))).toBe(
      `${dir}: deeper than ${MAX_WALK_DEPTH} directories: not a module tree`,
    );
    rmSync(join(deep), { recursive: true });
    expect(walkFiles(dir)).toEqual([]);
  });
});

describe('refuseOnProblems', () => {
  it('names the first problem, how many more, and that nothing changed', async () => {
    const problems = [
      { path: '/sys/kernel/notes', problem: 'permission denied' },
      { path: '/sys/module/x/notes/.note.gnu.build-id', problem: 'offset 0x0: bad note' },
    ];
    expect(await failure(() => refuseOnProblems(problems, 'status'))).toBe(
      '/sys/kernel/notes: could not read it: permission denied; nothing was changed (and 1 more problem(s): see klpm status)',
    );
    expect(await failure(() => refuseOnProblems(problems.slice(0, 1), 'status'))).toBe(
      '/sys/kernel/notes: could not read it: permission denied; nothing was changed',
    );
  });
});
