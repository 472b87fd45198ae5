import { isNode, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../input/index.js';

/** A YAML or JSON document parsed once, able to say on which line a value stands. */
export interface SourceDocument {
  readonly source: string;
  readonly value: unknown;
  /** `line:col` of the value at `path`, or of its nearest ancestor present in the text */
  locate(path: ReadonlyArray<PropertyKey>): string | undefined;
}

/** How often toJS may expand one anchor through aliases before it gives up. */
const MAX_ALIAS_COUNT = 100;

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
    const detail =
      first.code === 'DUPLICATE_KEY'
        ? `duplicate key ${JSON.stringify(keyAt(text, first.pos[0]))}`
        : (first.message.split('\n')[0] ?? 'invalid syntax');
    throw new InputError(detail, source, `${pos.line}:${pos.col}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // the yaml package refuses a document whose aliases expand too far (a "billion laughs")
    if (!(error instanceof ReferenceError && /alias/i.test(error.message))) throw error;
    let at: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        at = node.range?.[0];
        return visit.BREAK;
      },
    });
    const pos = at === undefined ? undefined : lineCounter.linePos(at);
    throw new InputError(
      `aliases expand too far (more than ${MAX_ALIAS_COUNT} per anchor): refused as a resource exhaustion attack`,
      source,
      pos && `${pos.line}:${pos.col}`,
    );
  }
  return {
    source,
    value,
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

/** The key written at `offset` (up to its `:`), without quotes. */
function keyAt(text: string, offset: number): string {
  const key = /^[^:\n]*/.exec(text.slice(offset, offset + 1024))![0].trim();
  return /^(["']).*\1$/.test(key) ? key.slice(1, -1) : key;
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
