import { open, readdir, readFile } from 'node:fs/promises';
import { InputError } from '../input/index.js';
import { errnoWords } from './read-problem.js';

/**
 * The one place a failed read of a file klpm was pointed at becomes a located error: what the
 * errno means for the user, and the path. Every reader of the shell goes through these.
 */
export function cannotRead(error: unknown, path: string): InputError {
  return new InputError(errnoWords(error), path);
}

/** The bytes of a file; a missing or unreadable one is bad input naming it. */
export async function readFileBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw cannotRead(error, path);
  }
}

/** The text of a file (UTF-8); a missing or unreadable one is bad input naming it. */
export async function readFileText(path: string): Promise<string> {
  return (await readFileBytes(path)).toString('utf8');
}

/**
 * The text of a file that may be absent (a sysfs attribute the kernel does not have, a file of a
 * module that is gone): undefined then. Other failures stay errors.
 */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
}

/** The names in a directory, none when it does not exist; `directories` keeps only subdirectories. */
export async function listNames(dir: string, only: 'all' | 'directories' = 'all'): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => only === 'all' || e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The most a kernel or state file klpm reads may hold (sysfs attributes are a page; proc/modules is far less). */
export const MAX_STATE_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The text of a file read in bounded pieces (sysfs and proc files report size 0, so their size is
 * not known before reading); undefined when it does not exist. Larger than `max`: an error.
 */
export async function readBoundedText(path: string, max = MAX_STATE_FILE_BYTES): Promise<string | undefined> {
  return (await readBoundedBytes(path, max))?.toString('utf8');
}

/** The bytes of a file read in bounded pieces, as readBoundedText. */
export async function readBoundedBytes(
  path: string,
  max = MAX_STATE_FILE_BYTES,
): Promise<Buffer | undefined> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max)
        throw new InputError(`larger than ${max} bytes: not a file the kernel or klpm writes`, path);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks);
  } finally {
    await file.close();
  }
}
