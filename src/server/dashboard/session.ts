import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../../store/index.js';

/** The cookie that holds a dashboard session. */
export const SESSION_COOKIE = 'klpm_session';
/** The cookie that ties a sign-in form to the browser that was shown it (before there is a session). */
export const LOGIN_COOKIE = 'klpm_login';
/** How long a sign-in form may be filled in. */
export const LOGIN_MS = 3_600_000;
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

/**
 * The sign-in form's CSRF check, before any session exists: a random value in a cookie of the
 * sign-in path (HttpOnly, SameSite=Strict) and, in the form, its HMAC under the database's session
 * key. A form another site posts carries neither (the cookie stays home under SameSite=Strict and
 * the site cannot read the page), and a cookie planted from elsewhere has no HMAC to go with it, so
 * nobody can be signed in to someone else's token (login CSRF).
 */
export function newLoginNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** A login cookie's value when it is one (22 base64url characters), else undefined. */
export function readLoginNonce(value: string | undefined): string | undefined {
  return value !== undefined && /^[A-Za-z0-9_-]{22}$/.test(value) ? value : undefined;
}

/** The sign-in form's CSRF token for the login cookie's value. */
export function loginCsrfToken(key: Buffer, nonce: string): string {
  return mac(key, 'login', nonce).toString('base64url');
}

/** Whether a sign-in form's CSRF field goes with the login cookie (compared in constant time). */
export function loginCsrfMatches(key: Buffer, nonce: string | undefined, given: string | undefined): boolean {
  if (nonce === undefined || given === undefined) return false;
  const wanted = Buffer.from(loginCsrfToken(key, nonce));
  const got = Buffer.from(given);
  return got.length === wanted.length && timingSafeEqual(got, wanted);
}

/** The Set-Cookie header of the login cookie (or of its end, with an empty value). */
export function loginCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${LOGIN_COOKIE}=${value}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
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
