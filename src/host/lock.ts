import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../input/index.js';
import { errnoWords } from './read-problem.js';

/**
 * One klpm acts at a time: an exclusive lock file holding the owner's pid. A lock whose owner is
 * gone (klpm was killed) is taken over.
 */
export interface Lock {
  release(): void;
}

export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`another klpm (pid ${pid}) is changing this host (lock ${path}); wait for it to finish`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(path: string, pid = process.pid): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          try {
            unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(errnoWords(error), path);
      const owner = lockOwner(path);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new LockBusyError(path, owner);
      unlinkSync(path); // stale: its owner died
    }
  }
  throw new LockBusyError(path, -1);
}

/**
 * The pid in a lock file klpm wrote (`<pid>\n`); NaN for an empty one (its owner died before
 * writing). Anything else there (a directory, a symlink, other bytes) is not klpm's lock: bad input,
 * left alone for the operator to look at.
 */
function lockOwner(path: string): number {
  const notOurs = (why: string) =>
    new InputError(`${why}: not a lock klpm wrote; remove it if no klpm is running`, path);
  let text: string;
  try {
    if (!lstatSync(path).isFile()) throw notOurs('not a regular file');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw notOurs(errnoWords(error));
  }
  if (text === '') return Number.NaN;
  if (!/^\d+\n?$/.test(text)) throw notOurs('holds no process id');
  return Number.parseInt(text, 10);
}

/**
 * Takes the lock, waiting up to `seconds` for another klpm to let go (0: do not wait). Package
 * transactions run hooks concurrently only when two package managers run at once; waiting makes
 * them queue instead of failing. The directory holding the lock is created.
 */
export async function acquireLockWaiting(path: string, seconds: number): Promise<Lock> {
  // the directories made for the lock go with it when still empty: a command refused at once
  // leaves the root as it found it
  let made: string | undefined;
  try {
    made = mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new InputError(errnoWords(error), dirname(path));
  }
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const lock = acquireLock(path);
      return {
        release: () => {
          lock.release();
          if (made !== undefined) removeEmptyUpTo(dirname(path), made);
        },
      };
    } catch (error) {
      if (!(error instanceof LockBusyError) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function removeEmptyUpTo(dir: string, top: string): void {
  for (let d = dir; d.length >= top.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (klpm wrote state there) or already gone
    }
    if (d === top) return;
  }
}
