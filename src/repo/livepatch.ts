const ISSUED = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/;

/** Milliseconds of an update's issue date (UTC); -Infinity when none is given, undefined when malformed. */
export function issuedTime(issued: string): number | undefined {
  if (issued.trim() === '') return Number.NEGATIVE_INFINITY;
  const m = ISSUED.exec(issued.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((part) => Number(part ?? 0)) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}
