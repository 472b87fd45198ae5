import * as z from 'zod';
import { parseJson, parseJsonWithSchema } from '../document/index.js';
import { relativePathProblem, ruleCheck } from '../input/index.js';
import { patchManifestSchema, patchNameSchema } from '../klp/index.js';
import { buildIdSchema, versionReleaseSchema } from './fields.js';
import { readGuidance } from './guidance.js';
import { issuedTime } from './livepatch.js';
import type { Repository } from './types.js';

const guidanceList = z
  .array(z.string())
  .default([])
  .transform((values) => values.map(readGuidance));

const livepatchSchema = z.strictObject({
  component: z.enum(['kernel', 'xen']),
  baseBuildId: buildIdSchema,
  base: versionReleaseSchema,
  to: versionReleaseSchema,
  replaceSet: z.number().int().min(0).default(0),
  /** the patch's module name, and its /sys/kernel/livepatch/<name> */
  name: patchNameSchema.optional(),
  /** the module file, relative to the index's directory (and inside it) */
  file: z.string().superRefine(ruleCheck(relativePathProblem)).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits')
    .optional(),
  expires: z.iso.date().optional(),
  manifest: patchManifestSchema.optional(),
});

const updateSchema = z.strictObject({
  id: z.string().min(1),
  issued: z
    .string()
    .refine((v) => issuedTime(v) !== undefined, { message: 'expected YYYY-MM-DD[ HH:MM:SS]' })
    .default(''),
  type: z.string().default(''),
  guidance: z
    .strictObject({
      mandatory: guidanceList,
      recommended: guidanceList,
      full: guidanceList,
      livepatch: guidanceList,
    })
    .default({ mandatory: [], recommended: [], full: [], livepatch: [] }),
  livepatches: z.array(livepatchSchema).default([]),
});

/** klpm's own repository index (docs/repository.md): what updateinfo.xml says, plus what it cannot. */
export const repositoryIndexSchema = z
  .strictObject({
    format: z.literal('klpm-repository-index'),
    version: z.literal(1),
    updates: z.array(updateSchema),
  })
  .superRefine((index, ctx) => {
    const seen = new Set<string>();
    index.updates.forEach((update, i) => {
      if (seen.has(update.id))
        ctx.addIssue({
          code: 'custom',
          path: ['updates', i, 'id'],
          message: `update id '${update.id}' appears twice: each update needs its own id`,
        });
      seen.add(update.id);
    });
  });

/** JSON Schema of the index, for docs/schema/repository-index.json. */
export function repositoryIndexJsonSchema(): unknown {
  return z.toJSONSchema(repositoryIndexSchema, { io: 'input', unrepresentable: 'any' });
}

/**
 * Reads klpm's JSON repository index; errors name the file, the line and the path inside it. An
 * index of the usual shape is read by fastIndex; anything it does not take goes through the schema.
 */
export function parseRepositoryIndex(text: string, source: string): Repository {
  const updates = fastIndex(parseJson(text, source));
  if (updates !== undefined) return { source, updates, warnings: [] };
  const index = parseJsonWithSchema(text, source, repositoryIndexSchema);
  return { source, updates: index.updates, warnings: [] };
}

type Livepatch = z.output<typeof livepatchSchema>;
type Update = z.output<typeof updateSchema>;
const LIVEPATCH_KEYS: ReadonlySet<string> = new Set([
  'component',
  'baseBuildId',
  'base',
  'to',
  'replaceSet',
  'expires',
]);
const expiresSchema = livepatchSchema.shape.expires.unwrap();

/**
 * repositoryIndexSchema's output for the usual index, without zod for each livepatch entry: an index
 * repeats a few build IDs, versions and dates over thousands of entries, so each value is checked by
 * its field's own schema once and remembered, and the entry is built in the schema's key order. An
 * entry with other keys (a file, a manifest) goes through livepatchSchema; updates go through
 * updateSchema (without their livepatches). Returns undefined for anything the schema would refuse,
 * so that the caller's schema pass gives the located error; what it accepts, the schema accepts alike.
 */
function fastIndex(value: unknown): Update[] | undefined {
  if (!isPlainObject(value) || value.format !== 'klpm-repository-index' || value.version !== 1)
    return undefined;
  if (!Array.isArray(value.updates) || Object.keys(value).length !== 3) return undefined;
  const checked = new Map<string, string | null>();
  const field = (schema: z.ZodType<string, string>, kind: string, v: unknown): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const key = `${kind}\u0000${v}`;
    let out = checked.get(key);
    if (out === undefined) {
      const result = schema.safeParse(v);
      out = result.success ? result.data : null;
      checked.set(key, out);
    }
    return out ?? undefined;
  };
  const entry = (lp: unknown): Livepatch | undefined => {
    if (!isPlainObject(lp)) return undefined;
    for (const key in lp) if (!LIVEPATCH_KEYS.has(key)) return livepatchSchema.safeParse(lp).data;
    const { component, replaceSet = 0 } = lp;
    if (component !== 'kernel' && component !== 'xen') return undefined;
    if (typeof replaceSet !== 'number' || !Number.isSafeInteger(replaceSet) || replaceSet < 0)
      return undefined;
    const baseBuildId = field(buildIdSchema, 'build', lp.baseBuildId);
    const base = field(versionReleaseSchema, 'version', lp.base);
    const to = field(versionReleaseSchema, 'version', lp.to);
    if (baseBuildId === undefined || base === undefined || to === undefined) return undefined;
    if (lp.expires === undefined) return { component, baseBuildId, base, to, replaceSet };
    const expires = field(expiresSchema, 'date', lp.expires);
    return expires === undefined ? undefined : { component, baseBuildId, base, to, replaceSet, expires };
  };
  const updates: Update[] = [];
  const ids = new Set<string>();
  for (const raw of value.updates) {
    if (!isPlainObject(raw)) return undefined;
    const shell = updateSchema.safeParse({ ...raw, livepatches: [] });
    if (!shell.success || ids.has(shell.data.id)) return undefined;
    ids.add(shell.data.id);
    const listed = raw.livepatches ?? [];
    if (!Array.isArray(listed)) return undefined;
    const livepatches: Livepatch[] = [];
    for (const lp of listed) {
      const read = entry(lp);
      if (read === undefined) return undefined;
      livepatches.push(read);
    }
    updates.push({ ...shell.data, livepatches });
  }
  return updates;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
