import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../input/index.js';

/** A YAML or JSON document parsed once, able to say on which line a value stands. */
export interface SourceDocument {
  readonly source: string;
  readonly value: unknown;
  /** `line:col` of the value at `path`, or of its nearest ancestor present in the text */
  locate(path: ReadonlyArray<PropertyKey>): string | undefined;
}

/**
 * Parses YAML (a superset of JSON) keeping positions, so schema errors can name a line.
 * Throws InputError on a syntax error.
 */
export function parseSourceDocument(text: string, source: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new InputError(first.message.split('\n')[0] ?? 'invalid syntax', source, `${pos.line}:${pos.col}`);
  }
  return {
    source,
    value: doc.toJS({ maxAliasCount: 100 }),
    locate(path) {
      for (let len = path.length; len >= 0; len--) {
        const node = len === 0 ? doc.contents : doc.getIn(path.slice(0, len) as unknown[], true);
        if (isNode(node) && node.range) {
          const pos = lineCounter.linePos(node.range[0]);
          return `${pos.line}:${pos.col}`;
        }
      }
      return undefined;
    },
  };
}

/** Renders a zod path the way a user would write it: `patches[0].objects[1].name`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Validates a parsed document against a schema; the first problem becomes an InputError naming the
 * file, the line and the path inside the document.
 */
export function parseWithSchema<T extends z.ZodType>(doc: SourceDocument, schema: T): z.output<T> {
  const result = schema.safeParse(doc.value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = formatPath(issue.path);
  const line = doc.locate(issue.path);
  const location = [line, where === '' ? undefined : where].filter(Boolean).join(' ');
  throw new InputError(issue.message.replace(/^Invalid (input|option): /, ''), doc.source, location);
}
