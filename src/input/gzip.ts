import { gunzipSync } from 'node:zlib';
import { InputError } from './input-error.js';

/** Whether bytes start with the gzip magic (RFC 1952: 0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Input that may come gzip-compressed (`symvers-K.gz`, `updateinfo.xml.gz`, `.ko.gz`), recognised by
 * its magic, not its name: gunzipped, or as it is. Corrupt gzip is bad input at offset 0.
 */
export function gunzipInput(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new InputError(`corrupt gzip data: ${(error as Error).message}`, source, 'offset 0x0');
  }
}
