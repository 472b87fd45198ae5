import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';

/**
 * The agent's HTTP client, on node:http and node:https rather than fetch: fetch cannot be told to
 * trust one CA only (`--ca`), and its implementation costs a check-in's process tens of milliseconds
 * to load. node:https is loaded only for an https:// server.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly bytes: Buffer;
}

/** Why a request got no answer: the errno or TLS code (`ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`). */
export class RequestFailed extends Error {
  override readonly name = 'RequestFailed';
}

export interface HttpClient {
  request(
    url: URL,
    init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
  ): Promise<HttpAnswer>;
  /** closes the kept-alive connections */
  close(): void;
}

/**
 * A client for one server: kept-alive connections (a check-in makes a few requests), and for
 * https:// only `ca` as the trusted roots when given (PEM), the system's otherwise.
 */
export async function httpClient(base: URL, ca?: string): Promise<HttpClient> {
  const tls = base.protocol === 'https:';
  const module = tls ? await import('node:https') : await import('node:http');
  const agent: HttpAgent = tls
    ? new (module as typeof import('node:https')).Agent({
        keepAlive: true,
        ...(ca === undefined ? {} : { ca }),
      })
    : new module.Agent({ keepAlive: true });
  return {
    close: () => agent.destroy(),
    request: (url, init) =>
      new Promise<HttpAnswer>((resolve, reject) => {
        const options: RequestOptions = {
          method: init.method,
          headers: {
            ...init.headers,
            ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }),
          },
          agent,
          timeout: init.timeoutMs,
        };
        const req = module.request(url, options, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
          res.on('error', (error) => reject(new RequestFailed(code(error))));
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        req.on('error', (error) => reject(new RequestFailed(code(error))));
        req.end(init.body);
      }),
  };
}

function code(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}
