import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson } from '../document/index.js';

/** The largest body the server reads (a report is 2–4 KB; the limit is 1 MiB). */
export const BODY_LIMIT = 1024 * 1024;

/** An answer other than 2xx, with the words a client shows and, for bad input, the bad field's path. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path?: string,
    /** more fields of the answer's body, such as `reenroll: true` */
    readonly extra?: Readonly<Record<string, unknown>>,
    /** headers of the answer, such as `retry-after` */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

/**
 * Reads the whole body, at most `limit` bytes: a larger Content-Length is refused before anything is
 * read, and a body that grows past the limit stops being kept (what is left is drained, not stored).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) {
    req.resume();
    throw new HttpError(413, `the body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, `the body is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The body as JSON, or a 400. A key repeated in one object is refused with the key's path (dotted,
 * as a bad field's path is): JSON.parse would keep the last one silently, and the store would keep
 * a value the client did not mean.
 */
export function parseJson(body: Buffer): unknown {
  const read = readJson(body.toString('utf8'));
  if (read.ok) return read.value;
  if (read.path !== undefined)
    throw new HttpError(
      400,
      `the body repeats a key in one object (${read.message.replace(/^invalid json: /, '')})`,
      read.path.join('.'),
    );
  throw new HttpError(400, 'the body is not JSON', '');
}

/**
 * A value whose JSON text is made once and kept with it: the plan hosts alike are answered with is
 * one value (the server remembers assessments), so it is not turned into text again per report.
 */
export class SharedJson {
  private static readonly texts = new WeakMap<object, string>();
  constructor(readonly value: object) {}
  get text(): string {
    let text = SharedJson.texts.get(this.value);
    if (text === undefined) {
      text = JSON.stringify(this.value);
      SharedJson.texts.set(this.value, text);
    }
    return text;
  }
  toJSON(): unknown {
    return this.value;
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = value instanceof SharedJson ? value.text : JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** The bearer token of a request, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([^\s]+)$/.exec(header);
  return match?.[1];
}
