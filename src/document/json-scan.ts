/**
 * One linear pass over a JSON text (RFC 8259) that finds what JSON.parse does not say: a key repeated
 * in one object (JSON.parse keeps the last silently), and the offset of a syntax error (V8's message
 * does not always give one). No recursion, so nesting depth costs memory, not stack.
 */

/** The first problem of a JSON text: where (a UTF-16 offset) and what, lower case. */
export interface JsonProblem {
  readonly offset: number;
  readonly message: string;
  /** for a duplicate key: the keys and array indexes that lead to it, the repeated key last */
  readonly path?: ReadonlyArray<string | number>;
}

const QUOTE = 34;
const BACKSLASH = 92;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** What the scanner expects next. */
const Want = {
  value: 0,
  /** a key or `}` right after `{` */
  firstKey: 1,
  key: 2,
  colon: 3,
  /** `,` or the closing bracket of the innermost container */
  next: 4,
} as const;
type Want = (typeof Want)[keyof typeof Want];

/** The first duplicate key or syntax error of `text`, or undefined when it is well-formed JSON. */
export function findJsonProblem(text: string): JsonProblem | undefined {
  const end = text.length;
  const stack = new KeyStack();
  let want: Want = Want.value;
  let done = false;
  let i = 0;
  const problem = (offset: number, message: string): JsonProblem => ({ offset, message });
  const unexpected = (at: number, expected: string): JsonProblem =>
    at >= end
      ? problem(end, `unexpected end of input, expected ${expected}`)
      : problem(at, `unexpected ${JSON.stringify(text[at])}, expected ${expected}`);

  while (true) {
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (done) return i < end ? unexpected(i, 'the end of the document') : undefined;
    const c = i < end ? text.charCodeAt(i) : -1;
    const top = stack.inObject();

    if (want === Want.colon) {
      if (c !== 58) return unexpected(i, "':' after the key");
      i++;
      want = Want.value;
      continue;
    }
    if (want === Want.next) {
      if (c === 44) {
        i++;
        if (!top) stack.nextIndex();
        want = top ? Want.key : Want.value;
        continue;
      }
      if (c === (top ? 125 : 93)) {
        i++;
        stack.pop();
        if (stack.length === 0) done = true;
        continue;
      }
      return unexpected(i, top ? "',' or '}'" : "',' or ']'");
    }
    if (want === Want.firstKey || want === Want.key) {
      if (c === 125 && want === Want.firstKey) {
        i++;
        stack.pop();
        want = Want.next;
        if (stack.length === 0) done = true;
        continue;
      }
      if (c !== QUOTE) return unexpected(i, 'a double-quoted key');
      const start = i;
      const after = scanString(text, i);
      if (after < 0) return problem(-after - 1, 'bad string: an unescaped control character or a bad escape');
      const raw = text.slice(start + 1, after - 1);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(start, after)) as string) : raw;
      if (!stack.add(key))
        return { offset: start, message: `duplicate key ${JSON.stringify(key)}`, path: stack.path() };
      i = after;
      want = Want.colon;
      continue;
    }

    // a value
    if (c === 123 || c === 91) {
      stack.push(c === 123);
      i++;
      want = c === 123 ? Want.firstKey : Want.value;
      if (c === 91) {
        while (i < end && isSpace(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) === 93) {
          i++;
          stack.pop();
          want = Want.next;
          if (stack.length === 0) done = true;
        }
      }
      continue;
    }
    let after: number;
    if (c === QUOTE) {
      after = scanString(text, i);
      if (after < 0) return problem(-after - 1, 'bad string: an unescaped control character or a bad escape');
    } else if (c === 45 || isDigit(c)) {
      after = scanNumber(text, i);
      if (after < 0) return problem(-after - 1, 'bad number');
    } else if (text.startsWith('true', i)) after = i + 4;
    else if (text.startsWith('false', i)) after = i + 5;
    else if (text.startsWith('null', i)) after = i + 4;
    else return unexpected(i, 'a value');
    i = after;
    want = Want.next;
    if (stack.length === 0) done = true;
  }
}

/**
 * The open containers and the keys of the open objects, in one flat list: most objects have a few
 * keys, compared one by one; a big one gets a Set.
 */
class KeyStack {
  private readonly keys: string[] = [];
  /** per open container: where its keys start in `keys`, or -1 for an array */
  private readonly starts: number[] = [];
  private readonly sets: Array<Set<string> | undefined> = [];
  /** per open container: its current key (an object) or index (an array), for a problem's path */
  private readonly at: Array<string | number> = [];

  get length(): number {
    return this.starts.length;
  }

  inObject(): boolean {
    return this.starts.length > 0 && this.starts[this.starts.length - 1]! >= 0;
  }

  push(object: boolean): void {
    this.starts.push(object ? this.keys.length : -1);
    this.sets.push(undefined);
    this.at.push(object ? '' : 0);
  }

  /** The next element of the innermost array. */
  nextIndex(): void {
    (this.at[this.at.length - 1] as number)++;
  }

  /** The keys and indexes from the document to the innermost object's current key. */
  path(): Array<string | number> {
    return [...this.at];
  }

  pop(): void {
    const start = this.starts.pop()!;
    this.sets.pop();
    this.at.pop();
    if (start >= 0) this.keys.length = start;
  }

  /** Adds a key to the innermost object; false when it has it already. */
  add(key: string): boolean {
    const depth = this.starts.length - 1;
    this.at[depth] = key;
    const set = this.sets[depth];
    if (set !== undefined) {
      if (set.has(key)) return false;
      set.add(key);
      return true;
    }
    const start = this.starts[depth]!;
    const keys = this.keys;
    for (let k = start; k < keys.length; k++) if (keys[k] === key) return false;
    keys.push(key);
    if (keys.length - start > 16) this.sets[depth] = new Set(keys.slice(start));
    return true;
  }
}

/** The offset after the string starting at `i` (a quote), or -(offset of the fault) - 1. */
function scanString(text: string, i: number): number {
  const end = text.length;
  for (let k = i + 1; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === QUOTE) return k + 1;
    if (c < 32) return -k - 1;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(k + 1);
      if (e === 117) {
        for (let h = k + 2; h < k + 6; h++) if (!isHex(text.charCodeAt(h))) return -k - 1;
        k += 5;
      } else if (e === QUOTE || e === BACKSLASH || e === 47 || e === 98 || e === 102 || e === 110) k++;
      else if (e === 114 || e === 116) k++;
      else return -k - 1;
    }
  }
  return -end - 1;
}

/** The offset after the number starting at `i`, or -(offset of the fault) - 1. */
function scanNumber(text: string, i: number): number {
  let k = i;
  if (text.charCodeAt(k) === 45) k++;
  if (text.charCodeAt(k) === 48) k++;
  else if (isDigit(text.charCodeAt(k))) while (isDigit(text.charCodeAt(k))) k++;
  else return -k - 1;
  if (text.charCodeAt(k) === 46) {
    k++;
    if (!isDigit(text.charCodeAt(k))) return -k - 1;
    while (isDigit(text.charCodeAt(k))) k++;
  }
  const e = text.charCodeAt(k);
  if (e === 101 || e === 69) {
    k++;
    const sign = text.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    if (!isDigit(text.charCodeAt(k))) return -k - 1;
    while (isDigit(text.charCodeAt(k))) k++;
  }
  return k;
}
