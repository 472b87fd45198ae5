import { createHash } from 'node:crypto';
import { viewOfStatus } from './host-status.js';
import type { StatusDocument } from './report.js';

/**
 * What `assessReport` reads of a report, as one sha256: the build ID (lower case, as
 * `evaluateReport`, `planForHost` and `offeredRepository` compare it) and the plan's view of the
 * host (`viewOfStatus`: release, kind, attributes, modules, patches). Everything else a report
 * carries (boot id, seq, blocking tasks, problems, the KMP document) leaves the assessment alone, so
 * hosts with one fingerprint get one status and one plan from a repository at one time: the server
 * assesses one report per fingerprint when the repository changes (docs/fleet.md, "Re-evaluation").
 * The text hashed is plain JSON, not canonical: JSON is injective, so one text is one input, and
 * the keys come in one order (viewOfStatus's, and the report schema's, which zod parses into); an
 * input written in another key order would get a fingerprint of its own, assessed alone, never a
 * wrong answer. It is made once per report, so its cost is the ingest's.
 */
export function reportFingerprint(report: {
  readonly status: StatusDocument;
  readonly buildId: string | null;
}): string {
  return createHash('sha256')
    .update(JSON.stringify([report.buildId?.toLowerCase() ?? null, viewOfStatus(report.status)]))
    .digest('hex');
}
