import * as z from 'zod';
import { parseSourceDocument, parseWithSchema } from '../document/index.js';
import { InputError } from '../input/index.js';
import {
  type Applicability,
  type EvaluationTime,
  evaluateHost,
  type RepositoryIndex,
} from './applicability.js';
import { buildIdSchema, versionReleaseSchema } from './fields.js';
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
  const out: FleetResult[] = [];
  const seen = new Map<string, Applicability>();
  for (const host of hosts)
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
      out.push({ host: host.id, result });
    }
  return out;
}
