import * as z from 'zod';
import { formatPath, parseJson } from '../document/index.js';
import { InputError } from '../input/index.js';
import { answersForHost, type SetAnswer } from './answers.js';
import { type EvaluationTime, type RepositoryIndex, SETTLED_STATUSES } from './applicability.js';
import { buildIdSchema, versionReleaseSchema } from './fields.js';
import { fleetHostReader } from './fleet-host-fast.js';
import { COMPONENTS } from './types.js';

/**
 * The livepatch a component runs now: one version-release (the host's `replaceSet`, else the build's
 * first published set), or one per replace set, keyed by the set's number.
 */
const appliedSchema = z.union([
  versionReleaseSchema,
  z.record(z.string().regex(/^(0|[1-9][0-9]{0,8})$/, 'a replace set number'), versionReleaseSchema),
]);

/** One line of hosts.jsonl: a host, the build IDs it runs and the livepatches applied now. */
export const fleetHostSchema = z.strictObject({
  id: z.string().min(1),
  buildIds: z.strictObject({ kernel: buildIdSchema.optional(), xen: buildIdSchema.optional() }),
  applied: z.strictObject({ kernel: appliedSchema.optional(), xen: appliedSchema.optional() }).default({}),
  /** answer for this replace set alone; absent: every set the repository publishes for the build */
  replaceSet: z.number().int().min(0).optional(),
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

/** One host component's answers, named by host: one per replace set, as `klpm check` gives them. */
export interface FleetResult {
  readonly host: string;
  readonly answers: ReadonlyArray<SetAnswer>;
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
  for (const host of hosts) for (const answers of evaluate(host)) out.push({ host: host.id, answers });
  return out;
}

/**
 * evaluateFleet one host at a time, for a caller that streams the hosts: per component the host
 * reports a build ID for, its answers per replace set, shared with earlier hosts of the same build,
 * replace set and applied livepatches. A build whose every answer is settled (SETTLED_STATUSES: end
 * of life, unsupported) answers alike whatever is applied, so it is kept once, without the applied
 * state in its key: most of a fleet's old builds then share one answer object.
 */
export function fleetEvaluator(
  index: RepositoryIndex,
  time: EvaluationTime,
): (host: FleetHost) => Array<ReadonlyArray<SetAnswer>> {
  const seen = new Map<string, ReadonlyArray<SetAnswer>>();
  const settled = new Map<string, ReadonlyArray<SetAnswer>>();
  return (host) => {
    const out: Array<ReadonlyArray<SetAnswer>> = [];
    for (const component of COMPONENTS) {
      const buildId = host.buildIds[component];
      if (buildId === undefined) continue;
      const build = `${component}/${host.replaceSet ?? ''}/${buildId}`;
      let answers = settled.get(build);
      if (answers === undefined) {
        const applied = host.applied[component];
        const key = `${build}/${typeof applied === 'string' ? applied : JSON.stringify(applied ?? {})}`;
        answers = seen.get(key);
        if (answers === undefined) {
          answers = answersForHost(index, { component, buildId, applied, replaceSet: host.replaceSet }, time);
          if (answers.every((a) => SETTLED_STATUSES.has(a.answer.status))) settled.set(build, answers);
          else seen.set(key, answers);
        }
      }
      out.push(answers);
    }
    return out;
  };
}
