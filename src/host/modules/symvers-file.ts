import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../../input/index.js';
import { parseSymvers, type Symvers } from '../../kabi/index.js';

/** Reads Module.symvers or a gzip-compressed symvers-<ver>.gz (recognised by its magic). */
export async function readSymversFile(path: string): Promise<Symvers> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? 'no such file: expected Module.symvers or symvers-<ver>.gz'
        : `cannot read (${code})`,
      path,
    );
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new InputError(`corrupt gzip data: ${(error as Error).message}`, path, 'offset 0x0');
    }
  }
  return parseSymvers(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), path);
}
