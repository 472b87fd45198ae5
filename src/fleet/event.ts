import * as z from 'zod';

/** `POST /v1/hosts/{id}/events`: what an apply, rollback or unload came to (docs/fleet.md). */
export const hostEventSchema = z.strictObject({
  kind: z.enum(['apply', 'rollback', 'unload']),
  planHash: z.string().regex(/^[0-9a-f]{64}$/, 'a planHash is 64 lower-case hex digits'),
  outcome: z.enum(['ok', 'failed', 'reversed', 'refused']),
  /** the step that failed (its index and op), or null */
  step: z
    .object({ index: z.number().int().nonnegative(), op: z.string().max(32), patch: z.string().max(256) })
    .nullable(),
  reason: z.string().max(4096),
  /** the tasks that kept a transition from completing */
  blocking: z
    .array(
      z.object({ pid: z.number().int(), comm: z.string().max(64), stack: z.string().max(8192).optional() }),
    )
    .max(1000),
  /** the real kernel log of the apply: the lines compared (docs/fleet.md) */
  log: z.array(z.string().max(1024)).max(10_000),
  predictedLog: z.array(z.string().max(1024)).max(10_000),
});
export type HostEventBody = z.infer<typeof hostEventSchema>;

/** A kernel log line klpm compares with the prediction: the livepatch core's and a callback's. */
const COMPARED = /^(livepatch: |[A-Za-z0-9_]+: (pre|post)_(patch|unpatch)_callback: )/;

/** The lines of a kernel log that are compared with the simulator's prediction, in order. */
export function comparedLog(lines: ReadonlyArray<string>): string[] {
  return lines.filter((line) => COMPARED.test(line));
}

/** Whether the real log, compared lines only, is the predicted one. */
export function logMatches(real: ReadonlyArray<string>, predicted: ReadonlyArray<string>): boolean {
  const a = comparedLog(real);
  const b = comparedLog(predicted);
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
