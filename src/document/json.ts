import type { z } from 'zod';
import { InputError } from '../input/index.js';
import { parseSourceDocument, parseWithSchema } from './document.js';
import { findJsonProblem } from './json-scan.js';

/** `line:col` (1-based) of a UTF-16 offset in `text`. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let at = text.indexOf('\n'); at >= 0 && at < offset; at = text.indexOf('\n', at + 1)) {
    line++;
    start = at + 1;
  }
  return `${line}:${offset - start + 1}`;
}

/** What readJson found: the value, or the first problem, located. */
export type JsonReading =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      /** lower case, such as `invalid json: duplicate key "id"` */
      readonly message: string;
      /** `line:col`, when known */
      readonly location?: string;
      /** for a duplicate key: the keys and array indexes leading to it, the repeated key last */
      readonly path?: ReadonlyArray<string | number>;
    };

/**
 * Reads a JSON text strictly: JSON.parse for the value, then a key count that proves no key is
 * repeated in an object (JSON.parse keeps the last silently). When the count cannot prove it, or on
 * a syntax error, one linear scan finds the duplicate key or the error and its line.
 */
export function readJson(text: string): JsonReading {
  let value: unknown;
  let syntaxError: string | undefined;
  try {
    value = JSON.parse(text);
  } catch (error) {
    syntaxError = error instanceof Error ? error.message : String(error);
  }
  if (syntaxError === undefined && keyColons(text) === keyCount(value)) return { ok: true, value };
  const problem = findJsonProblem(text);
  if (problem !== undefined)
    return {
      ok: false,
      message: `invalid json: ${problem.message}`,
      location: lineColumn(text, problem.offset),
      ...(problem.path === undefined ? {} : { path: problem.path }),
    };
  // the scanner and JSON.parse agree on what JSON is; should they not, say what JSON.parse said
  if (syntaxError !== undefined) return { ok: false, message: `invalid json: ${syntaxError}` };
  return { ok: true, value };
}

/** readJson, throwing a located InputError naming `source`. */
export function parseJson(text: string, source: string): unknown {
  const read = readJson(text);
  if (read.ok) return read.value;
  throw new InputError(read.message, source, read.location);
}

/**
 * How many `:` of the text follow a `"` (spaces between allowed): at least the number of keys the
 * text writes, more when strings hold such colons.
 */
function keyColons(text: string): number {
  let n = 0;
  for (let at = text.indexOf(':'); at >= 0; at = text.indexOf(':', at + 1)) {
    let k = at - 1;
    while (k >= 0 && isSpace(text.charCodeAt(k))) k--;
    if (text.charCodeAt(k) === 34) n++;
  }
  return n;
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** How many keys the parsed value's objects have, all together. */
function keyCount(value: unknown): number {
  const pending: unknown[] = [value];
  let n = 0;
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) for (const item of v) pending.push(item);
    else
      for (const key in v) {
        n++;
        pending.push((v as Record<string, unknown>)[key]);
      }
  }
  return n;
}

/**
 * A JSON file that may run to megabytes (kernel descriptions, repository indexes): parsed strictly
 * and fast, and only when the schema refuses it parsed again keeping positions, to name the line.
 */
export function parseJsonWithSchema<T extends z.ZodType>(
  text: string,
  source: string,
  schema: T,
): z.output<T> {
  const result = schema.safeParse(parseJson(text, source));
  if (result.success) return result.data;
  return parseWithSchema(parseSourceDocument(text, source), schema);
}
