import * as z from 'zod';
import { parseSourceDocument, parseWithSchema } from '../document/index.js';
import { InputError } from '../input/index.js';
import { answersForHost, type SetAnswer } from './answers.js';
import type { EvaluationTime, RepositoryIndex } from './applicability.js';
import { buildIdSchema, versionReleaseSchema } from './fields.js';
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

/** Reads hosts.jsonl; a bad line is an InputError naming the file and the line. */
export function parseFleetHosts(text: string, source: string): FleetHost[] {
  const hosts: FleetHost[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      hosts.push(parseWithSchema(parseSourceDocument(line, source), fleetHostSchema));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const where = error.location?.replace(/^\d+:\d+ ?/, '');
      throw new InputError(error.detail, source, `line ${i + 1}${where ? ` ${where}` : ''}`);
    }
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
  const out: FleetResult[] = [];
  const seen = new Map<string, ReadonlyArray<SetAnswer>>();
  for (const host of hosts)
    for (const component of COMPONENTS) {
      const buildId = host.buildIds[component];
      if (buildId === undefined) continue;
      const applied = host.applied[component];
      const key = `${component}/${host.replaceSet ?? ''}/${buildId}/${typeof applied === 'string' ? applied : JSON.stringify(applied ?? {})}`;
      let answers = seen.get(key);
      if (answers === undefined) {
        answers = answersForHost(index, { component, buildId, applied, replaceSet: host.replaceSet }, time);
        seen.set(key, answers);
      }
      out.push({ host: host.id, answers });
    }
  return out;
}
