import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { readJson } from '../document/index.js';
import type { FleetPlan, HostEventBody, Report } from '../fleet/index.js';
import { REPORT_SCHEMA_VERSION } from '../fleet/index.js';
import {
  type LiveKernel,
  readLivepatchStatus,
  SysfsKernel,
  statePath,
  statusDocument,
} from '../host/index.js';
import { applyPlan } from './apply.js';
import { type HttpClient, httpClient, RequestFailed } from './http-client.js';
import {
  dropSpooledEvent,
  dropSpooledReport,
  hasSpooledReport,
  spoolEvent,
  spooledEvents,
  spoolReport,
} from './spool.js';

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
  /** `never` (the default): report only; `auto`: carry out the plan when this host makes the same */
  readonly apply?: 'never' | 'auto';
  /** the kernel plans are applied to; default: the one under `root` (sysfs, insmod) */
  readonly kernel?: LiveKernel;
  /** the clock (ms); tests pass their own */
  readonly now?: () => number;
  /** as `klpm check --expiry-window`; only the plan's statuses depend on it */
  readonly expiryWindowDays?: number;
  /** an https:// server's certificate must chain to this CA (PEM) alone; default: the system's roots */
  readonly ca?: string;
  /** the executor's waits, ms (`klpm apply`'s defaults) */
  readonly timeouts?: { transitionMs?: number; signalMs?: number; settleMs?: number; pollMs?: number };
}

export interface CheckIn {
  readonly hostId: string;
  /** whether this check-in enrolled (first run, or the server no longer knew the token) */
  readonly enrolled: boolean;
  readonly seq: number;
  readonly plan: FleetPlan;
  /** what `--apply auto` did with the plan, or null (never, or nothing to do) */
  readonly applied: HostEventBody | null;
  /** spooled events delivered at this check-in */
  readonly delivered: number;
  /** events still in the spool (the apply's event, when it could not be delivered) */
  readonly spooled: number;
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
 * One check-in: deliver what the spool holds, enroll when there is no token for this server, read
 * the machine with the reader `klpm status` uses, send the report, and take the plan the server
 * answers; with `apply: 'auto'`, carry it out (or refuse it) and post the event. A report the
 * server did not take (unreachable, 5xx) is spooled and the check-in fails with the reason.
 */
export async function checkInOnce(options: AgentOptions): Promise<CheckIn> {
  const base = serverUrl(options.server);
  const client = await httpClient(base, options.ca);
  try {
    return await checkIn(options, base, client);
  } finally {
    client.close();
  }
}

async function checkIn(options: AgentOptions, base: URL, client: HttpClient): Promise<CheckIn> {
  const now = options.now ?? Date.now;
  const machineId = await readMachineId(options.root);
  let state = await readState(options.root, base.href);
  let enrolled = false;
  const doc = statusDocument(await readLivepatchStatus(options.root));
  const makeReport = async (s: AgentState): Promise<Report> => ({
    schemaVersion: REPORT_SCHEMA_VERSION,
    machineId,
    bootId: await readBootId(options.root),
    buildId: typeof doc.buildId === 'string' ? doc.buildId : null,
    seq: s.seq + 1,
    agentVersion: AGENT_VERSION,
    interval: options.interval,
    status: doc as Report['status'],
    kmp: null,
  });
  const report = async (s: AgentState) => {
    const body = await makeReport(s);
    try {
      const answer = await post(client, base, `v1/hosts/${encodeURIComponent(s.id)}/report`, body, s.token);
      if (answer.status >= 500) throw new AgentError(`the server failed the report: ${describe(answer)}`);
      return answer;
    } catch (error) {
      if (error instanceof AgentError) {
        await spoolReport(options.root, body);
        throw new AgentError(`${error.message}; the report is spooled`);
      }
      throw error;
    }
  };
  if (state === undefined) {
    state = await enroll(options, client, base, machineId);
    enrolled = true;
  }
  const delivered = await deliverEvents(options.root, client, base, state);
  let answer = await report(state);
  if (answer.status === 401 && !enrolled) {
    // the server no longer knows this token (its database was replaced): enroll again, once
    state = await enroll(options, client, base, machineId);
    enrolled = true;
    answer = await report(state);
  }
  if (answer.status !== 200) throw new AgentError(`the server refused the report: ${describe(answer)}`);
  const plan = planAnswerSchema.safeParse(answer.body);
  if (!plan.success) throw new AgentError('the server answered the report with something that is not a plan');
  state = { ...state, seq: state.seq + 1 };
  await writeState(options.root, state);
  // the report just stored is newer than the one kept: the kept one folds into it
  if (await hasSpooledReport(options.root)) await dropSpooledReport(options.root);
  const fleetPlan = plan.data as unknown as FleetPlan;
  let applied: HostEventBody | null = null;
  if (options.apply === 'auto') {
    const s = state;
    const t = options.timeouts ?? {};
    applied =
      (await applyPlan(fleetPlan, {
        root: options.root,
        kernel: options.kernel ?? new SysfsKernel(options.root),
        time: { now: now(), expiryWindowDays: options.expiryWindowDays ?? 30 },
        fetchFile: (sha256) => getFile(client, base, `v1/files/${sha256}`, s.token),
        ...(t.transitionMs === undefined ? {} : { transitionTimeoutMs: t.transitionMs }),
        ...(t.signalMs === undefined ? {} : { signalTimeoutMs: t.signalMs }),
        ...(t.settleMs === undefined ? {} : { settleTimeoutMs: t.settleMs }),
        ...(t.pollMs === undefined ? {} : { pollMs: t.pollMs }),
      })) ?? null;
    if (applied !== null) {
      await spoolEvent(options.root, applied, now());
      await deliverEvents(options.root, client, base, state).catch(() => 0);
    }
  }
  return {
    hostId: state.id,
    enrolled,
    seq: state.seq,
    plan: fleetPlan,
    applied,
    delivered,
    spooled: (await spooledEvents(options.root)).length,
  };
}

/**
 * Posts the spooled events, oldest first, each removed once the server took it; stops at the first
 * the server does not take (unreachable or 5xx), so none is lost or reordered. A 4xx answer means
 * the server will never take it: it is set aside (renamed), not retried for ever.
 */
async function deliverEvents(
  root: string,
  client: HttpClient,
  base: URL,
  state: AgentState,
): Promise<number> {
  let delivered = 0;
  for (const { name, event } of await spooledEvents(root)) {
    let answer: { status: number; body: unknown };
    try {
      answer = await post(
        client,
        base,
        `v1/hosts/${encodeURIComponent(state.id)}/events`,
        event,
        state.token,
      );
    } catch {
      return delivered;
    }
    if (answer.status >= 500 || answer.status === 401 || answer.status === 429) return delivered;
    await dropSpooledEvent(root, name);
    if (answer.status < 300) delivered++;
  }
  return delivered;
}

/** Fetches a file the server serves, whole; a refusal or a failure is an AgentError with the reason. */
async function getFile(client: HttpClient, base: URL, path: string, token: string): Promise<Buffer> {
  const response = await send(client, base, path, {
    method: 'GET',
    headers: { authorization: `Bearer ${token}` },
    timeoutMs: 120_000,
  });
  if (response.status !== 200) {
    let body: unknown = response.bytes.toString('utf8');
    try {
      body = JSON.parse(String(body));
    } catch {}
    throw new AgentError(`the server refused the file: ${describe({ status: response.status, body })}`);
  }
  return response.bytes;
}

/** One request; no answer (refused, unreachable, a certificate not trusted) is an AgentError saying why. */
async function send(
  client: HttpClient,
  base: URL,
  path: string,
  init: Parameters<HttpClient['request']>[1],
): Promise<{ status: number; bytes: Buffer }> {
  try {
    return await client.request(new URL(path, base), init);
  } catch (error) {
    if (error instanceof RequestFailed) throw new AgentError(`cannot reach ${base.origin}: ${error.message}`);
    throw error;
  }
}

export interface RunOptions extends AgentOptions {
  /** stops the loop (SIGTERM); the current check-in finishes first */
  readonly signal: AbortSignal;
  /** called with each check-in's result or one-line reason */
  readonly onCheckIn: (result: { ok: true; checkIn: CheckIn } | { ok: false; reason: string }) => void;
  /** waits `ms` or until the signal; tests pass their own */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** the first wait after a failed check-in, and the most it doubles to (ms) */
  readonly backoffMs?: { first: number; cap: number };
  /** stop after this many check-ins (tests) */
  readonly maxCheckIns?: number;
}

/** The wait before the next check-in: the interval plus up to 10% jitter, or the back-off after `failures`. */
export function nextDelayMs(
  intervalMs: number,
  failures: number,
  random: number,
  backoff: { first: number; cap: number },
): number {
  if (failures === 0) return Math.round(intervalMs + random * intervalMs * 0.1);
  const base = Math.min(backoff.cap, backoff.first * 2 ** Math.min(failures - 1, 30));
  return Math.round(base / 2 + (random * base) / 2);
}

/**
 * `klpm agent run`: check in at the interval plus jitter until the signal; a failed check-in
 * (server down, 5xx, a refusal) is reported in one line and retried with exponential back-off up
 * to a cap, the spool keeping what was not delivered.
 */
export async function runAgent(options: RunOptions): Promise<void> {
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const backoff = options.backoffMs ?? {
    first: 15_000,
    cap: Math.max(15_000, Math.min(options.interval * 1000, 3_600_000)),
  };
  let failures = 0;
  for (
    let n = 0;
    !options.signal.aborted && (options.maxCheckIns === undefined || n < options.maxCheckIns);
    n++
  ) {
    try {
      options.onCheckIn({ ok: true, checkIn: await checkInOnce(options) });
      failures = 0;
    } catch (error) {
      failures++;
      options.onCheckIn({ ok: false, reason: error instanceof Error ? error.message : String(error) });
    }
    if (options.maxCheckIns !== undefined && n + 1 >= options.maxCheckIns) break;
    await sleep(nextDelayMs(options.interval * 1000, failures, random(), backoff), options.signal);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

async function enroll(
  options: AgentOptions,
  client: HttpClient,
  base: URL,
  machineId: string,
): Promise<AgentState> {
  const secret = (await readText(options.enrollSecretFile, 'the enrollment secret')).trim();
  const answer = await post(client, base, 'v1/enroll', {
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
  client: HttpClient,
  base: URL,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await send(client, base, path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
    timeoutMs: 60_000,
  });
  const text = response.bytes.toString('utf8');
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

/**
 * The state klpm wrote (server, host id, token, seq), undefined when there is none or it is for
 * another server. A state file that is not what klpm wrote (not JSON, a key twice, fields missing) is
 * refused: enrolling again over it would throw away a token a person may still want.
 */
async function readState(root: string, server: string): Promise<AgentState | undefined> {
  const path = statePath(root, 'agent');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const read = readJson(text);
  const state = read.ok ? stateSchema.safeParse(read.value) : undefined;
  if (state?.success !== true) {
    const why = read.ok
      ? 'not the state klpm writes (server, id, token, seq)'
      : `${read.message}${read.location === undefined ? '' : ` at ${read.location}`}`;
    throw new AgentError(`${path}: ${why}; move it away to enroll this host again`);
  }
  return state.data.server === server ? state.data : undefined;
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
