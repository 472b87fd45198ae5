/**
 * ISO 8601 dates and times as klpm reads them (`issued`, `expires`, `--now`, `--expires`): the date
 * must exist in the calendar. Date.parse would take `2026-02-30` as the 2nd of March.
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Whether year-month-day is a day of the (proleptic Gregorian) calendar. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/**
 * Milliseconds of `YYYY-MM-DD`, optionally with ` HH:MM[:SS[.fff]]` or `T…` and `Z` or an offset;
 * UTC when no offset is given. Undefined for anything else, or for a day or time that does not exist.
 */
export function isoTime(text: string): number | undefined {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((p) => Number(p ?? 0));
  if (!isCalendarDate(year!, month!, day!) || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  const zone = m[8];
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
    offset = (digits[0] === '-' ? -1 : 1) * minutes * 60_000;
  }
  return Date.UTC(year!, month! - 1, day!, hour, minute, second, ms) - offset;
}
