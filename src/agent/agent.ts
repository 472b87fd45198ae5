import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { FleetPlan, Report } from '../fleet/index.js';
import { REPORT_SCHEMA_VERSION } from '../fleet/index.js';
import { readLivepatchStatus, statePath, statusDocument } from '../host/index.js';

export const AGENT_VERSION = '0.1.0';

/** Why a check-in failed, in one line: the server could not be reached, or refused. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
}

export interface AgentOptions {
  /** the server's base URL, such as http://fleet.example:7470 */
  readonly server: string;
  /** a file holding the enrollment secret; read only when the agent has no token for this server */
  readonly enrollSecretFile: string;
  /** the machine's root (`/` on a live host) */
  readonly root: string;
  /** the check-in interval the server judges silence by, in seconds */
  readonly interval: number;
}

export interface CheckIn {
  readonly hostId: string;
  /** whether this check-in enrolled (first run, or the server no longer knew the token) */
  readonly enrolled: boolean;
  readonly seq: number;
  readonly plan: FleetPlan;
}

const stateSchema = z.object({
  server: z.string(),
  id: z.string(),
  token: z.string(),
  seq: z.number().int().nonnegative(),
});
type AgentState = z.infer<typeof stateSchema>;

const planAnswerSchema = z.looseObject({
  planHash: z.string(),
  steps: z.array(z.unknown()),
  sets: z.array(z.unknown()),
});

/**
 * One check-in: enroll when there is no token for this server, read the machine with the reader
 * `klpm status` uses, send the report, and return the plan the server answered. Applies nothing.
 */
export async function checkInOnce(options: AgentOptions): Promise<CheckIn> {
  const base = serverUrl(options.server);
  const machineId = await readMachineId(options.root);
  let state = await readState(options.root, base.href);
  let enrolled = false;
  if (state === undefined) {
    state = await enroll(options, base, machineId);
    enrolled = true;
  }
  const doc = statusDocument(await readLivepatchStatus(options.root));
  const report = async (s: AgentState) => {
    const body: Report = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      machineId,
      bootId: await readBootId(options.root),
      buildId: typeof doc.buildId === 'string' ? doc.buildId : null,
      seq: s.seq + 1,
      agentVersion: AGENT_VERSION,
      interval: options.interval,
      status: doc as Report['status'],
      kmp: null,
    };
    return post(base, `v1/hosts/${encodeURIComponent(s.id)}/report`, body, s.token);
  };
  let answer = await report(state);
  if (answer.status === 401 && !enrolled) {
    // the server no longer knows this token (its database was replaced): enroll again, once
    state = await enroll(options, base, machineId);
    enrolled = true;
    answer = await report(state);
  }
  if (answer.status !== 200) throw new AgentError(`the server refused the report: ${describe(answer)}`);
  const plan = planAnswerSchema.safeParse(answer.body);
  if (!plan.success) throw new AgentError('the server answered the report with something that is not a plan');
  state = { ...state, seq: state.seq + 1 };
  await writeState(options.root, state);
  return { hostId: state.id, enrolled, seq: state.seq, plan: plan.data as unknown as FleetPlan };
}

async function enroll(options: AgentOptions, base: URL, machineId: string): Promise<AgentState> {
  const secret = (await readText(options.enrollSecretFile, 'the enrollment secret')).trim();
  const answer = await post(base, 'v1/enroll', {
    secret,
    machineId,
    hostname: await readHostname(options.root),
  });
  if (answer.status !== 200) throw new AgentError(`enrollment refused: ${describe(answer)}`);
  const parsed = z.object({ id: z.string(), token: z.string() }).safeParse(answer.body);
  if (!parsed.success) throw new AgentError('the server answered the enrollment without an id and token');
  const state = { server: base.href, id: parsed.data.id, token: parsed.data.token, seq: 0 };
  await writeState(options.root, state);
  return state;
}

function serverUrl(text: string): URL {
  try {
    const url = new URL(text.endsWith('/') ? text : `${text}/`);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {}
  throw new AgentError(`--server '${text}' is not an http:// or https:// URL`);
}

async function post(
  base: URL,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new AgentError(`cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? String(error)}`);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed };
}

function describe(answer: { status: number; body: unknown }): string {
  const error = (answer.body as { error?: unknown; path?: unknown } | null)?.error;
  const path = (answer.body as { path?: unknown } | null)?.path;
  return `${answer.status}${typeof error === 'string' ? ` ${error}` : ''}${typeof path === 'string' && path !== '' ? ` (at ${path})` : ''}`;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new AgentError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** /etc/machine-id (machine-id(5)): 32 lower-case hex digits; the host's identity in the fleet. */
async function readMachineId(root: string): Promise<string> {
  const path = join(root, 'etc/machine-id');
  const id = (await readText(path, 'the machine id')).trim();
  if (!/^[0-9a-f]{32}$/.test(id)) throw new AgentError(`${path} does not hold a machine id (32 hex digits)`);
  return id;
}

async function readBootId(root: string): Promise<string> {
  return (await readFile(join(root, 'proc/sys/kernel/random/boot_id'), 'utf8').catch(() => 'unknown')).trim();
}

async function readHostname(root: string): Promise<string> {
  for (const path of ['proc/sys/kernel/hostname', 'etc/hostname']) {
    const text = (await readFile(join(root, path), 'utf8').catch(() => '')).trim();
    if (text !== '') return text.slice(0, 253);
  }
  return 'localhost';
}

async function readState(root: string, server: string): Promise<AgentState | undefined> {
  const text = await readFile(statePath(root, 'agent'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const state = stateSchema.parse(JSON.parse(text));
    return state.server === server ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state (it holds the token) readable by its owner only, replacing it whole. */
async function writeState(root: string, state: AgentState): Promise<void> {
  const path = statePath(root, 'agent');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp`;
  await writeFile(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}
