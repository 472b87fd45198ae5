import { readFile } from 'node:fs/promises';
import { InputError } from '../input/index.js';

/** Reads a file named on the command line; a missing or unreadable file is bad input. */
export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, expected a file'
          : `cannot read (${code ?? String(error)})`;
    throw new InputError(why, path);
  }
}

export async function readInputText(path: string): Promise<string> {
  return (await readInputFile(path)).toString('utf8');
}
