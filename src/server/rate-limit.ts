import { isIP } from 'node:net';
import { parseDuration } from '../fleet/index.js';

/** A limit: at most `count` requests per `windowMs` for one key (an address, a host). */
export interface Rate {
  readonly count: number;
  readonly windowMs: number;
}

/** Whether a request may go on, or how many seconds to wait (the answer's Retry-After). */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * Where the rate state lives. Async, so that an implementation over the shared database (several
 * servers, one state) fits the same place; the one built is in-process (`MemoryRateLimiter`).
 */
export interface RateLimiter {
  take(key: string, rate: Rate, now: number): Promise<RateDecision>;
}

/** How many keys the in-process limiter keeps before it sweeps the windows that ended. */
const SWEEP_AT = 100_000;

/** Fixed windows per key, in this process's memory: each server counts alone. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  async take(key: string, rate: Rate, now: number): Promise<RateDecision> {
    let w = this.windows.get(key);
    if (w === undefined || now >= w.start + rate.windowMs) {
      if (this.windows.size >= SWEEP_AT) this.sweep(now, rate.windowMs);
      w = { start: now, used: 0 };
      this.windows.set(key, w);
    }
    if (w.used >= rate.count)
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + rate.windowMs - now) / 1000)) };
    w.used++;
    return { ok: true };
  }

  private sweep(now: number, windowMs: number): void {
    for (const [key, w] of this.windows) if (now >= w.start + windowMs) this.windows.delete(key);
  }
}

/** `N/DURATION` (`60/1m`, `1000/1h`), or `off` (undefined: no limit); a UsageError's words otherwise. */
/**
 * The rate state in the store, for servers that share one database (PostgreSQL): the windows are
 * the database's, so N servers behind a balancer let through the limit once, not N times.
 */
export class StoreRateLimiter implements RateLimiter {
  constructor(
    private readonly takeRate: (
      key: string,
      windowMs: number,
      now: number,
    ) => Promise<{ start: number; used: number }>,
  ) {}

  async take(key: string, rate: Rate, now: number): Promise<RateDecision> {
    const w = await this.takeRate(key, rate.windowMs, now);
    if (w.used <= rate.count) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + rate.windowMs - now) / 1000)) };
  }
}

export function parseRate(text: string): Rate | undefined | { readonly error: string } {
  if (text === 'off') return undefined;
  const match = /^(\d{1,9})\/(.+)$/.exec(text);
  const windowMs = match === null ? undefined : parseDuration(match[2]!);
  const count = Number(match?.[1]);
  if (match === null || windowMs === undefined || windowMs === 0 || count < 1)
    return { error: `'${text}' is not a rate: N/DURATION, such as 60/1m, or off` };
  return { count, windowMs };
}

/** An address as one key: an IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`) is the IPv4 one. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/**
 * The client's address: the socket's peer, unless that peer is a proxy the admin named; then
 * `X-Forwarded-For` is read from the right, past every named proxy, to the first address that is
 * not one. A malformed entry stops the walk at the last address trusted to have written it.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: ReadonlySet<string>,
): string {
  let address = normalizeAddress(peer ?? 'unknown');
  if (!trusted.has(address) || forwardedFor === undefined) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (isIP(hop) === 0) break;
    address = hop;
    if (!trusted.has(hop)) break;
  }
  return address;
}
