import * as z from 'zod';

/** The report version this server reads; a report of another version is refused with the path. */
export const REPORT_SCHEMA_VERSION = 1;

const hostFuncSchema = z.object({ name: z.string(), sympos: z.number().int().nonnegative() });
const hostObjectSchema = z.object({
  name: z.string(),
  patched: z.boolean(),
  funcs: z.array(hostFuncSchema),
});
const hostPatchSchema = z.object({
  name: z.string(),
  enabled: z.boolean(),
  transition: z.boolean(),
  replace: z.boolean().optional(),
  replaceSet: z.number().int().nonnegative().optional(),
  provides: z.number().int().nonnegative().optional(),
  obsoletes: z.array(z.number().int().nonnegative()).optional(),
  stackOrder: z.number().int().nonnegative().optional(),
  version: z.string().optional(),
  objects: z.array(hostObjectSchema),
});

/**
 * The document `klpm status --json` prints (src/host/livepatch/status.ts `statusDocument`). The
 * parts the server plans from are checked field by field; the rest is kept as sent.
 */
export const statusDocumentSchema = z.object({
  release: z.string().optional(),
  kind: z.enum(['replace-bool', 'replace-set', 'provides']).optional(),
  attributes: z.array(z.string()),
  patches: z.array(hostPatchSchema),
  modules: z.array(z.string()),
  buildId: z
    .string()
    .regex(/^[0-9a-f]+$/i)
    .optional(),
  livepatchable: z.object({ ok: z.boolean(), reason: z.string() }),
  blocking: z.array(z.object({ pid: z.number().int(), comm: z.string(), stack: z.string().optional() })),
  interrupted: z.unknown().optional(),
  repository: z.unknown().optional(),
  reboot: z.boolean(),
  /** what the host's klpm could not read (`klpm status --json` `problems`); older agents send none */
  problems: z.array(z.object({ path: z.string(), problem: z.string() })).default([]),
});
export type StatusDocument = z.infer<typeof statusDocumentSchema>;

/** `POST /v1/hosts/{id}/report`: what an agent sends at each check-in (docs/fleet.md). */
export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  machineId: z.string().regex(/^[0-9a-f]{32}$/, 'a machine-id is 32 lower-case hex digits'),
  bootId: z.string().min(1).max(64),
  buildId: z
    .string()
    .regex(/^[0-9a-f]+$/i)
    .nullable(),
  seq: z.number().int().nonnegative(),
  agentVersion: z.string().min(1).max(64),
  /** the agent's check-in interval in seconds */
  interval: z.number().int().positive(),
  status: statusDocumentSchema,
  /** the document `klpm kmp status --json` prints, or null where KMPs are not managed */
  kmp: z.unknown().nullable(),
});
export type Report = z.infer<typeof reportSchema>;

/** `POST /v1/enroll`. */
export const enrollRequestSchema = z.object({
  secret: z.string().min(1).max(256),
  machineId: z.string().regex(/^[0-9a-f]{32}$/, 'a machine-id is 32 lower-case hex digits'),
  hostname: z.string().min(1).max(253),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** The first problem zod found, as `path: message` (the answer of a 400). */
export function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { path: '', message: 'invalid' };
  return { path: issue.path.map(String).join('.'), message: issue.message };
}
