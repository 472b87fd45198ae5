/** Livepatch repositories (updateinfo.xml, klpm's JSON index), rpm version order and applicability. */

export { answersForHost, type HostSets, type SetAnswer } from './answers.js';
export {
  type Applicability,
  type ApplicabilityStatus,
  type EvaluationTime,
  evaluateHost,
  type HostComponent,
  indexRepository,
  livepatchesFor,
  type RebootNeed,
  type RepositoryIndex,
  replaceSetsFor,
  SETTLED_STATUSES,
  STATUS_ORDER,
  worstStatus,
} from './applicability.js';
export { isCalendarDate, isoTime } from './dates.js';
export {
  buildIdSchema,
  isBuildId,
  parseBuildIdField,
  parseVersionReleaseField,
  versionReleaseSchema,
} from './fields.js';
export {
  evaluateFleet,
  type FleetHost,
  type FleetResult,
  fleetEvaluator,
  fleetHostSchema,
  parseFleetHostLine,
  parseFleetHosts,
} from './fleet.js';
export { fleetHostReader } from './fleet-host-fast.js';
export { type FleetLine, fleetLineReader } from './fleet-lines.js';
export { mergeGuidance, type PrunedGuidance, readGuidance } from './guidance.js';
export {
  addLivepatchToIndex,
  defaultUpdateId,
  type ModuleMapEntry,
  moduleMapSchema,
  type NewLivepatch,
  parseModuleMap,
  type UpdateRef,
} from './index-edit.js';
export { parseRepositoryIndex, repositoryIndexJsonSchema, repositoryIndexSchema } from './json-index.js';
export { orderWarnings } from './order-warnings.js';
export {
  COMPONENTS,
  type Component,
  type FileDisagreement,
  GUIDANCES,
  type Guidance,
  type Livepatch,
  type Repository,
  type Update,
  type UpdateGuidance,
} from './types.js';
export { decodeXmlBytes, parseUpdateinfo, updateinfoLocation } from './updateinfo.js';
