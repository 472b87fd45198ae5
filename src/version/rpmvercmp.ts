/**
 * RPM's version order, written from the rules of rpmvercmp() in rpm's rpmio/rpmvercmp.c: the strings
 * are cut into runs of ASCII digits and ASCII letters, everything else only separates runs; digit runs
 * compare as numbers, letter runs as byte strings, a digit run beats a letter run; `~` sorts before
 * everything (even the end of the string) and `^` after the end of the string but before anything else.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
    const ca = a[i];
    const cb = b[j];
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === '^' || cb === '^') {
      if (ca === undefined) return -1;
      if (cb === undefined) return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === undefined || cb === undefined) break;
    const numeric = isDigit(a.charCodeAt(i));
    const inRun = numeric ? isDigit : isLetter;
    const startA = i;
    const startB = j;
    while (i < a.length && inRun(a.charCodeAt(i))) i++;
    while (j < b.length && inRun(b.charCodeAt(j))) j++;
    // a digit run always beats a letter run, whichever side holds it
    if (j === startB) return numeric ? 1 : -1;
    let runA = a.slice(startA, i);
    let runB = b.slice(startB, j);
    if (numeric) {
      runA = runA.replace(/^0+/, '');
      runB = runB.replace(/^0+/, '');
      if (runA.length !== runB.length) return runA.length > runB.length ? 1 : -1;
    }
    if (runA !== runB) return runA > runB ? 1 : -1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** A livepatch's `base`/`to`: version and release; the epoch is ignored for livepatches (as xapi). */
export interface VersionRelease {
  readonly version: string;
  readonly release: string;
}

const VERSION_RELEASE = /^(?:\d+:)?([^\s:-]+)-([^\s:-]+)$/;

/** Splits `[epoch:]version-release`; undefined when the string is not of that shape. */
export function parseVersionRelease(text: string): VersionRelease | undefined {
  const match = VERSION_RELEASE.exec(text.trim());
  return match ? { version: match[1]!, release: match[2]! } : undefined;
}

/** Orders two version-release pairs: version first, then release, each with rpmvercmp. */
export function compareVersionRelease(a: VersionRelease, b: VersionRelease): -1 | 0 | 1 {
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isSeparator(code: number): boolean {
  return !isDigit(code) && !isLetter(code) && code !== 126 /* ~ */ && code !== 94 /* ^ */;
}
