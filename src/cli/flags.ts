import { isBuildId, isoTime } from '../repo/index.js';
import { parseVersionRelease } from '../version/index.js';
import { UsageError } from './usage-error.js';

/** `--now` and `--expiry-window` as the evaluation time; the clock is read here, in the shell. */
export function readTime(opts: { now?: string | undefined; expiryWindow: string }) {
  const now = opts.now === undefined ? Date.now() : isoTime(opts.now);
  if (now === undefined)
    throw new UsageError(`--now '${opts.now}' is not an ISO date of the calendar, such as 2026-01-31`);
  return { now, expiryWindowDays: readCount(opts.expiryWindow, '--expiry-window') };
}

/** A flag's whole number, or a usage error naming the flag. */
export function readCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} '${text}' is not a whole number`);
  return Number(text);
}

/** A flag's build ID, lower-cased, or a usage error naming the flag. */
export function readBuildIdFlag(text: string, flag: string): string {
  if (!isBuildId(text.trim()))
    throw new UsageError(`${flag} '${text}' is not a build id (an even number of hex digits)`);
  return text.trim().toLowerCase();
}

/** A flag's version-release, or a usage error naming the flag. */
export function readVersionReleaseFlag(text: string, flag: string): string {
  if (parseVersionRelease(text) === undefined)
    throw new UsageError(`${flag} '${text}' is not version-release (e.g. 4.19.19-8.0.21), cannot compare it`);
  return text.trim();
}

/**
 * An argument that becomes a path (a kernel release, a patch name), or a usage error naming it.
 * `problem` is one of the rules of input/names.ts.
 */
export function readNameArgument(
  text: string,
  argument: string,
  problem: (text: string) => string | undefined,
): string {
  const message = problem(text);
  if (message !== undefined) throw new UsageError(`${argument} '${text}': ${message}`);
  return text;
}
