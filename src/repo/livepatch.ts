import { isoTime } from './dates.js';

/** Milliseconds of an update's issue date (UTC); -Infinity when none is given, undefined when malformed. */
export function issuedTime(issued: string): number | undefined {
  if (issued.trim() === '') return Number.NEGATIVE_INFINITY;
  return isoTime(issued);
}
