import { readFile } from 'node:fs/promises';
import { gunzipInput, InputError } from '../../input/index.js';
import { parseSymvers, type Symvers } from '../../kabi/index.js';
import { cannotRead } from '../files.js';

/** Reads Module.symvers or a gzip-compressed symvers-<ver>.gz (recognised by its magic). */
export async function readSymversFile(path: string): Promise<Symvers> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    // a missing symvers says what it should have been
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InputError('no such file: expected Module.symvers or symvers-<ver>.gz', path);
    throw cannotRead(error, path);
  }
  bytes = gunzipInput(bytes, path);
  return parseSymvers(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), path);
}
