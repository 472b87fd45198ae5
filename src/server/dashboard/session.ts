import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../../store/index.js';

/** The cookie that holds a dashboard session. */
export const SESSION_COOKIE = 'klpm_session';
/** How long a session lasts after sign-in. */
export const SESSION_MS = 12 * 3_600_000;

/** A signed-in viewer or admin: the token it signed in with (by id), and when the session ends. */
export interface Session {
  readonly role: Role;
  /** the API token's id: a session ends when its token is revoked */
  readonly tokenId: string;
  /** a random id per sign-in, which the CSRF token is tied to */
  readonly sid: string;
  /** ms since the epoch */
  readonly expires: number;
}

const mac = (key: Buffer, purpose: string, text: string) =>
  createHmac('sha256', key).update(`${purpose}\0${text}`).digest();

/**
 * A new session's cookie value: the session as base64url JSON, a dot, and its HMAC-SHA256 under the
 * database's session key, so any server sharing the database checks it without shared memory.
 */
export function newSession(
  key: Buffer,
  role: Role,
  tokenId: string,
  now: number,
): { session: Session; value: string } {
  const session: Session = {
    role,
    tokenId,
    sid: randomBytes(16).toString('base64url'),
    expires: now + SESSION_MS,
  };
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return { session, value: `${body}.${mac(key, 'session', body).toString('base64url')}` };
}

/** The session a cookie value holds, when its signature is the key's and it has not ended. */
export function readSession(key: Buffer, value: string | undefined, now: number): Session | undefined {
  if (value === undefined) return undefined;
  const match = /^([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match === null) return undefined;
  const given = Buffer.from(match[2]!, 'base64url');
  const wanted = mac(key, 'session', match[1]!);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const s = parsed as Partial<Session>;
  if (
    (s.role !== 'admin' && s.role !== 'viewer') ||
    typeof s.tokenId !== 'string' ||
    typeof s.sid !== 'string' ||
    typeof s.expires !== 'number' ||
    s.expires <= now
  )
    return undefined;
  return { role: s.role, tokenId: s.tokenId, sid: s.sid, expires: s.expires };
}

/** The CSRF token of a session: every form of it carries this, and a POST without it is refused. */
export function csrfToken(key: Buffer, session: Session): string {
  return mac(key, 'csrf', session.sid).toString('base64url');
}

/** Whether a form's CSRF field is the session's token (compared in constant time). */
export function csrfMatches(key: Buffer, session: Session, given: string | undefined): boolean {
  if (given === undefined) return false;
  const wanted = Buffer.from(csrfToken(key, session));
  const got = Buffer.from(given);
  return got.length === wanted.length && timingSafeEqual(got, wanted);
}

/** The Set-Cookie header of a session (or of its end, with an empty value): HttpOnly, SameSite=Strict, Secure under TLS. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** A cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
