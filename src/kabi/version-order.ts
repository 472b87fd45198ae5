/**
 * Version order of rpm, as rpmvercmp in rpmio/rpmvercmp.c: the strings are cut into runs of digits
 * or of letters (anything else separates); `~` sorts before anything, even the end of the string
 * (pre-releases), `^` after the end but before any further run (post-release snapshots); a numeric
 * run is newer than a letter run; numeric runs compare as numbers (leading zeros ignored), letter
 * runs as bytes; when one string runs out, the longer one is newer.
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const test = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && test(a[ei])) ei++;
    while (ej < b.length && test(b[ej])) ej++;
    let one = a.slice(i, ei);
    let two = b.slice(j, ej);
    // the two runs are of different kinds: the numeric one is newer
    if (two.length === 0) return numeric ? 1 : -1;
    if (numeric) {
      one = one.replace(/^0+/, '');
      two = two.replace(/^0+/, '');
      if (one.length !== two.length) return one.length > two.length ? 1 : -1;
    }
    if (one !== two) return one < two ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function isAlnum(c: string | undefined): boolean {
  return isDigit(c) || isAlpha(c);
}
