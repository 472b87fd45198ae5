import { InputError } from '../input/index.js';
import { parseVersionRelease } from '../version/index.js';

const BUILD_ID = /^[0-9a-fA-F]{2,}$/;

/** A build ID as klpm keeps it (lower-case hex); InputError when it is not hex. */
export function readBuildId(text: string, source: string, location: string): string {
  const id = text.trim();
  if (!BUILD_ID.test(id) || id.length % 2 !== 0)
    throw new InputError(`build id '${text}' is not an even number of hex digits`, source, location);
  return id.toLowerCase();
}

/** Checks that a `base`/`to`/applied value is `version-release`, the only shape rpmvercmp can order. */
export function readVersionRelease(text: string, source: string, location: string, what: string): string {
  if (parseVersionRelease(text) === undefined)
    throw new InputError(
      `${what} '${text}' is not version-release (e.g. 4.19.19-8.0.21), cannot compare it`,
      source,
      location,
    );
  return text.trim();
}

const ISSUED = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/;

/** Milliseconds of an update's issue date (UTC); -Infinity when none is given, undefined when malformed. */
export function issuedTime(issued: string): number | undefined {
  if (issued.trim() === '') return Number.NEGATIVE_INFINITY;
  const m = ISSUED.exec(issued.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((part) => Number(part ?? 0)) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}
