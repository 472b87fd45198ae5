import { UsageError } from './usage-error.js';

/** `--now` and `--expiry-window` as the evaluation time; the clock is read here, in the shell. */
export function readTime(opts: { now?: string | undefined; expiryWindow: string }) {
  const now = opts.now === undefined ? Date.now() : Date.parse(opts.now);
  if (Number.isNaN(now)) throw new UsageError(`--now '${opts.now}' is not an ISO date such as 2026-01-31`);
  return { now, expiryWindowDays: readCount(opts.expiryWindow, '--expiry-window') };
}

/** A flag's whole number, or a usage error naming the flag. */
export function readCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} '${text}' is not a whole number`);
  return Number(text);
}
