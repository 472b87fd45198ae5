import * as z from 'zod';
import { parseJson, parseJsonWithSchema } from '../document/index.js';
import { InputError, relativePathProblem, ruleCheck } from '../input/index.js';
import type { PatchManifest } from '../klp/index.js';
import { buildIdSchema, versionReleaseSchema } from './fields.js';
import { parseRepositoryIndex } from './json-index.js';
import { issuedTime } from './livepatch.js';

/** One livepatch to add to klpm's JSON index, with what was read from its module file. */
export interface NewLivepatch {
  readonly component: 'kernel' | 'xen';
  readonly baseBuildId: string;
  readonly base: string;
  readonly to: string;
  readonly replaceSet: number;
  readonly name: string;
  /** relative to the index's directory */
  readonly file: string;
  readonly sha256: string;
  readonly expires?: string | undefined;
  readonly manifest: PatchManifest;
}

/** The update a livepatch is added to: its id defaults to `<patch name>-<to>` (docs/repository.md). */
export interface UpdateRef {
  readonly id?: string | undefined;
  readonly issued: string;
}

export const defaultUpdateId = (entry: Pick<NewLivepatch, 'name' | 'to'>) => `${entry.name}-${entry.to}`;

interface IndexDocument {
  format: 'klpm-repository-index';
  version: 1;
  updates: Array<{ id: string; issued?: string; livepatches?: unknown[]; [key: string]: unknown }>;
}

/**
 * The index text with `entry` added: to the update of that id when there is one (its other fields
 * kept as written), else to a new update at the end. `text` undefined starts an empty index. The same
 * livepatch (component, base build ID, replace set and `to`) twice is an error. The result is read
 * back with the index's own schema, so what is written is always an index klpm reads.
 */
export function addLivepatchToIndex(
  text: string | undefined,
  source: string,
  entry: NewLivepatch,
  update: UpdateRef,
): string {
  const doc: IndexDocument =
    text === undefined
      ? { format: 'klpm-repository-index', version: 1, updates: [] }
      : (parseJson(text, source) as IndexDocument);
  if (text !== undefined) {
    const repository = parseRepositoryIndex(text, source);
    const same = repository.updates.flatMap((u) =>
      u.livepatches
        .filter(
          (lp) =>
            lp.component === entry.component &&
            lp.baseBuildId === entry.baseBuildId &&
            lp.replaceSet === entry.replaceSet &&
            lp.to === entry.to,
        )
        .map(() => u.id),
    );
    if (same.length > 0)
      throw new InputError(
        `update ${same[0]} already has the ${entry.component} livepatch to ${entry.to} for build ${entry.baseBuildId} (replace set ${entry.replaceSet})`,
        source,
      );
  }
  if (update.issued !== '' && issuedTime(update.issued) === undefined)
    throw new InputError(`issue date '${update.issued}' is not YYYY-MM-DD[ HH:MM:SS]`, '--issued');
  const id = update.id ?? defaultUpdateId(entry);
  let target = doc.updates.find((u) => u.id === id);
  if (target === undefined) {
    target = { id, issued: update.issued, livepatches: [] };
    doc.updates.push(target);
  }
  target.livepatches = [
    ...(target.livepatches ?? []),
    {
      component: entry.component,
      baseBuildId: entry.baseBuildId,
      base: entry.base,
      to: entry.to,
      replaceSet: entry.replaceSet,
      name: entry.name,
      file: entry.file,
      sha256: entry.sha256,
      ...(entry.expires === undefined ? {} : { expires: entry.expires }),
      manifest: { ...entry.manifest, replaceSet: entry.replaceSet },
    },
  ];
  const out = `${JSON.stringify(doc, null, 2)}\n`;
  parseRepositoryIndex(out, source);
  return out;
}

const mapFields = z.strictObject({
  component: z.enum(['kernel', 'xen']).optional(),
  baseBuildId: buildIdSchema.optional(),
  base: versionReleaseSchema.optional(),
  to: versionReleaseSchema.optional(),
  replaceSet: z.number().int().min(0).optional(),
  update: z.string().min(1).optional(),
  issued: z
    .string()
    .refine((v) => issuedTime(v) !== undefined, { message: 'expected YYYY-MM-DD[ HH:MM:SS]' })
    .optional(),
  expires: z.iso.date().optional(),
});

/**
 * The mapping file of `klpm repo build` (docs/repository.md): for each module file of the directory
 * (by its path relative to it), what the file cannot say itself; `defaults` fills what a module
 * leaves out.
 */
export const moduleMapSchema = z.strictObject({
  format: z.literal('klpm-module-map'),
  version: z.literal(1),
  defaults: mapFields.default({}),
  modules: z.record(z.string().superRefine(ruleCheck(relativePathProblem)), mapFields),
});

export type ModuleMapEntry = z.output<typeof mapFields> & { readonly file: string };

/** The map's modules, each with the defaults filled in, checked for the three fields an entry needs. */
export function parseModuleMap(text: string, source: string): ModuleMapEntry[] {
  const map = parseJsonWithSchema(text, source, moduleMapSchema);
  return Object.entries(map.modules).map(([file, fields]) => {
    const entry = { ...map.defaults, ...fields, file };
    for (const key of ['baseBuildId', 'base', 'to'] as const)
      if (entry[key] === undefined)
        throw new InputError(
          `module '${file}' has no ${key}, and defaults give none`,
          source,
          `modules.${file}`,
        );
    return entry;
  });
}
