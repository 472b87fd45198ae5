import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Credentials are `<id>.<secret>`: the id finds the row, the secret (256 random bits) is kept only as
 * its sha256 and compared in constant time, so neither a lookup nor a comparison leaks it.
 */
export interface Credential {
  readonly id: string;
  readonly text: string;
  readonly hash: Buffer;
}

export function newCredential(id: string = randomBytes(9).toString('base64url')): Credential {
  const secret = randomBytes(32).toString('base64url');
  return { id, text: `${id}.${secret}`, hash: sha256(secret) };
}

/** The id and secret of a credential's text, or undefined when it has not their shape. */
export function splitCredential(text: string): { id: string; secret: string } | undefined {
  const match = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/.exec(text);
  return match === null ? undefined : { id: match[1]!, secret: match[2]! };
}

/** Whether `secret` hashes to `hash`, in time independent of where they differ. */
export function secretMatches(secret: string, hash: Buffer): boolean {
  const given = sha256(secret);
  return given.length === hash.length && timingSafeEqual(given, hash);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The same secret under another id (a host enrolled before keeps its id; the hash is the secret's alone). */
export function withCredentialId(credential: Credential, id: string): Credential {
  return { id, text: `${id}${credential.text.slice(credential.id.length)}`, hash: credential.hash };
}
