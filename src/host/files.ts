import { readdir, readFile } from 'node:fs/promises';
import { InputError } from '../input/index.js';

/**
 * The one place a failed read of a file klpm was pointed at becomes a located error: what the
 * errno means for the user, and the path. Every reader of the shell goes through these.
 */
export function cannotRead(error: unknown, path: string): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory, expected a file'
        : code === 'ENOTDIR'
          ? 'a part of the path is not a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot read (${code ?? String(error)})`;
  return new InputError(why, path);
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
