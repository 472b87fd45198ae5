import * as z from 'zod';
import { formatPath, parseJson } from '../document/index.js';
import { InputError } from '../input/index.js';
import {
  type Applicability,
  type EvaluationTime,
  evaluateHost,
  type RepositoryIndex,
} from './applicability.js';
import { buildIdSchema, versionReleaseSchema } from './fields.js';
import { fleetHostReader } from './fleet-host-fast.js';
import { COMPONENTS } from './types.js';

/** One line of hosts.jsonl: a host, the build IDs it runs and the livepatches applied now. */
export const fleetHostSchema = z.strictObject({
  id: z.string().min(1),
  buildIds: z.strictObject({ kernel: buildIdSchema.optional(), xen: buildIdSchema.optional() }),
  applied: z
    .strictObject({ kernel: versionReleaseSchema.optional(), xen: versionReleaseSchema.optional() })
    .default({}),
  replaceSet: z.number().int().min(0).default(0),
});
export type FleetHost = z.output<typeof fleetHostSchema>;

/**
 * One line of hosts.jsonl (JSON Lines: one JSON value per line, UTF-8, `\n` or `\r\n` line ends).
 * A blank line is skipped (undefined); anything else that is not one JSON host object is an
 * InputError naming the file, the line and the column or the field. `fast` (fleetHostReader) reads
 * the usual line without zod.
 */
export function parseFleetHostLine(
  line: string,
  source: string,
  lineNumber: number,
  fast: (value: unknown) => FleetHost | undefined = () => undefined,
): FleetHost | undefined {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = parseJson(text, source);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const column = error.location?.replace(/^\d+:/, '');
    throw new InputError(error.detail, source, column ? `${lineNumber}:${column}` : `line ${lineNumber}`);
  }
  const host = fast(value);
  if (host !== undefined) return host;
  const result = fleetHostSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = formatPath(issue.path);
  throw new InputError(
    issue.message.replace(/^Invalid (input|option): /, ''),
    source,
    `line ${lineNumber}${where ? ` ${where}` : ''}`,
  );
}

/** Reads a whole hosts.jsonl text (see parseFleetHostLine); the CLI streams it line by line instead. */
export function parseFleetHosts(text: string, source: string): FleetHost[] {
  const hosts: FleetHost[] = [];
  const fast = fleetHostReader();
  text.split('\n').forEach((line, i) => {
    const host = parseFleetHostLine(line, source, i + 1, fast);
    if (host !== undefined) hosts.push(host);
  });
  return hosts;
}

/** One host component's answer, named by host. */
export interface FleetResult {
  readonly host: string;
  readonly result: Applicability;
}

/**
 * Evaluates every component each host reports a build ID for, against one index. Hosts that run the
 * same build with the same applied livepatch get the same answer object: a fleet runs few distinct
 * builds, so most hosts cost one map lookup.
 */
export function evaluateFleet(
  index: RepositoryIndex,
  hosts: ReadonlyArray<FleetHost>,
  time: EvaluationTime,
): FleetResult[] {
  const evaluate = fleetEvaluator(index, time);
  const out: FleetResult[] = [];
  for (const host of hosts) for (const result of evaluate(host)) out.push({ host: host.id, result });
  return out;
}

/**
 * evaluateFleet one host at a time, for a caller that streams the hosts: the answers of every
 * component the host reports a build ID for, shared with earlier hosts of the same build, replace
 * set and applied livepatch.
 */
export function fleetEvaluator(
  index: RepositoryIndex,
  time: EvaluationTime,
): (host: FleetHost) => Applicability[] {
  const seen = new Map<string, Applicability>();
  return (host) => {
    const out: Applicability[] = [];
    for (const component of COMPONENTS) {
      const buildId = host.buildIds[component];
      if (buildId === undefined) continue;
      const applied = host.applied[component];
      const key = `${component}/${host.replaceSet}/${buildId}/${applied ?? ''}`;
      let result = seen.get(key);
      if (result === undefined) {
        result = evaluateHost(index, { component, buildId, applied, replaceSet: host.replaceSet }, time);
        seen.set(key, result);
      }
      out.push(result);
    }
    return out;
  };
}
