import * as z from 'zod';
import { parseJsonWithSchema } from '../document/index.js';
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

/** Reads klpm's JSON repository index; errors name the file, the line and the path inside it. */
export function parseRepositoryIndex(text: string, source: string): Repository {
  const index = parseJsonWithSchema(text, source, repositoryIndexSchema);
  return { source, updates: index.updates, warnings: [] };
}
