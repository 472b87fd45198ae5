/**
 * The fleet's pure rules: the report an agent sends, a host's status and plan from it, the summary,
 * durations and silence, and the host list's filters. The server and store are shell (docs/fleet.md).
 */
export { type BuildView, buildsOf, type NewestLivepatch } from './builds.js';
export { cloneConflict, type StoredBoot } from './clone.js';
export {
  type DemoHost,
  demoFleet,
  demoRolloutSpec,
  type SyntheticFleetOptions,
  type SyntheticHost,
  syntheticBuildId,
  syntheticFleet,
} from './demo.js';
export { isSilent, parseDuration } from './duration.js';
export { comparedLog, type HostEventBody, hostEventSchema, logMatches } from './event.js';
export { reportFingerprint } from './fingerprint.js';
export {
  assessReport,
  canonicalJson,
  type FleetPlan,
  type FleetPlanStep,
  type FleetSetPlan,
  fleetPlanOf,
  planForHost,
  planHash,
  publicStep,
} from './host-plan.js';
export {
  evaluateReport,
  type HostEvaluation,
  isStuck,
  REBOOT_ORDER,
  STATUS_ORDER,
  viewOfStatus,
  worstReboot,
  worstStatus,
} from './host-status.js';
export {
  DEFAULT_PAGE,
  encodeCursor,
  HOST_ORDERS,
  type HostFilter,
  type HostOrder,
  hostQuerySchema,
  labelSchema,
  MAX_PAGE,
  parseHostQuery,
  SEARCH_MODES,
  type SearchMode,
} from './query.js';
export {
  type EnrollRequest,
  enrollRequestSchema,
  firstIssue,
  REPORT_SCHEMA_VERSION,
  type Report,
  reportSchema,
  type StatusDocument,
  statusDocumentSchema,
} from './report.js';
export {
  isSha256,
  type OfferedLivepatch,
  type OfferedRepository,
  offeredRepository,
  repositoryFiles,
  withFetchedFiles,
} from './repository.js';
export * from './rollout/index.js';
export { type FleetSummary, type SummaryHost, summarize } from './summary.js';
