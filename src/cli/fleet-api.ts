import { readFile } from 'node:fs/promises';
import { ExitCode } from './context.js';
import { UsageError } from './usage-error.js';

/** A fleet server that could not be reached or answered with an error: one line, exit 1. */
export class FleetApiError extends Error {
  override readonly name = 'FleetApiError';
}

/** Reads a token or secret from a file (`--token FILE`, `--enroll-secret FILE`). */
export async function readSecretFile(path: string, flag: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${flag} ${path}: cannot read it (${error.code ?? error.message})`);
  });
  const secret = text.trim();
  if (secret === '') throw new UsageError(`${flag} ${path} is empty`);
  return secret;
}

/** GET `path` from the fleet API with the token of `tokenFile`; a refusal names the status and why. */
export function fleetGet(server: string, tokenFile: string, path: string): Promise<unknown> {
  return fleetCall(server, tokenFile, 'GET', path);
}

/** A call of the fleet API with the token of `tokenFile` and a JSON body (the admin commands). */
export async function fleetCall(
  server: string,
  tokenFile: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  let base: URL;
  try {
    base = new URL(server.endsWith('/') ? server : `${server}/`);
  } catch {
    throw new UsageError(`--server '${server}' is not a URL such as http://127.0.0.1:7470`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new UsageError(`--server '${server}' is not an http:// or https:// URL`);
  const token = await readSecretFile(tokenFile, '--token');
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new FleetApiError(`cannot reach ${base.origin}: ${cause?.code ?? String(error)}`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new FleetApiError(`${base.origin} answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const error = (answer as { error?: unknown; path?: unknown }).error;
    const where = (answer as { path?: unknown }).path;
    const why = `${response.status} ${typeof error === 'string' ? error : ''}${typeof where === 'string' && where !== '' ? ` (at ${where})` : ''}`;
    if (
      response.status === 401 ||
      response.status === 403 ||
      response.status === 400 ||
      response.status === 404
    )
      throw new UsageError(`the server refused: ${why}`);
    if (response.status === 409 || response.status === 422)
      throw new FleetApiError(`the server refused: ${why}`);
    throw new FleetApiError(`the server failed: ${why}`);
  }
  return answer;
}

/** Runs a command's call; a FleetApiError prints one line and exits 1 (other errors go to main). */
export async function withFleetErrors(
  ctx: { stderr: (text: string) => void },
  setExit: (code: number) => void,
  call: () => Promise<void>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof FleetApiError)) throw error;
    ctx.stderr(`klpm: ${error.message}\n`);
    setExit(ExitCode.findings);
  }
}
