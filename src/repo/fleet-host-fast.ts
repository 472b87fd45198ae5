import { buildIdSchema, versionReleaseSchema } from './fields.js';

type Components = { kernel?: string; xen?: string };
/** What fleetHostSchema gives for a line (FleetHost), spelled out here so that fleet.ts can import this file. */
interface FastHost {
  id: string;
  buildIds: Components;
  applied: Components;
  /** absent: every replace set the repository publishes for the build */
  replaceSet?: number;
}

/**
 * The usual hosts.jsonl line, read without zod: a fleet file repeats a few build IDs and versions
 * over 100,000 lines, so each field value is checked by its schema once and remembered. Returns
 * undefined for anything else (a missing or unknown key, a bad value), which the caller then gives
 * to fleetHostSchema for the located error; what it accepts, fleetHostSchema accepts the same.
 */
export function fleetHostReader(): (value: unknown) => FastHost | undefined {
  const buildIds = new Map<string, string | null>();
  const versions = new Map<string, string | null>();
  const field = (
    cache: Map<string, string | null>,
    schema: typeof buildIdSchema | typeof versionReleaseSchema,
    v: unknown,
  ): string | undefined => {
    if (typeof v !== 'string') return undefined;
    let out = cache.get(v);
    if (out === undefined) {
      const result = schema.safeParse(v);
      out = result.success ? result.data : null;
      if (cache.size < 100_000) cache.set(v, out);
    }
    return out ?? undefined;
  };
  const components = (
    v: unknown,
    cache: Map<string, string | null>,
    schema: typeof buildIdSchema | typeof versionReleaseSchema,
  ): Components | undefined => {
    if (!isPlainObject(v)) return undefined;
    const out: Components = {};
    for (const key in v) {
      if (key !== 'kernel' && key !== 'xen') return undefined;
      const text = field(cache, schema, v[key]);
      if (text === undefined) return undefined;
      out[key] = text;
    }
    return out;
  };
  return (value) => {
    if (!isPlainObject(value)) return undefined;
    for (const key in value)
      if (key !== 'id' && key !== 'buildIds' && key !== 'applied' && key !== 'replaceSet') return undefined;
    const { id, replaceSet } = value;
    if (typeof id !== 'string' || id.length === 0) return undefined;
    if (
      replaceSet !== undefined &&
      (typeof replaceSet !== 'number' || !Number.isSafeInteger(replaceSet) || replaceSet < 0)
    )
      return undefined;
    const built = components(value.buildIds, buildIds, buildIdSchema);
    const applied =
      value.applied === undefined ? {} : components(value.applied, versions, versionReleaseSchema);
    if (built === undefined || applied === undefined) return undefined;
    return replaceSet === undefined
      ? { id, buildIds: built, applied }
      : { id, buildIds: built, applied, replaceSet };
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
