/** Plans: the ordered steps from a host's livepatch state to a goal, each checked on the simulator. */
export { assemblePlan, isRefused } from './assemble.js';
export {
  attributesOfRelease,
  type HostFunc,
  type HostLivepatchView,
  type HostObject,
  type HostPatch,
  type HostStateResult,
  hostStateFromObserved,
  type KnownPatch,
} from './observed.js';
export { predictPlan } from './predict.js';
export {
  answersFor,
  type GoalsResult,
  goalsFor,
  knownPatches,
  type SetGoal,
  type UpdateRequest,
} from './request.js';
export type {
  CompareVersions,
  Goal,
  HostLivepatchState,
  LoadedPatch,
  OfferedPatch,
  Plan,
  PlanKind,
  PlanStep,
  RefusedPlan,
} from './types.js';
export {
  isSameHostState,
  observeHost,
  planUpdate,
  requestNeeds,
  type SetPlan,
  type UpdateInput,
  type UpdateOutcome,
  type UpdatePlan,
  updateOutcome,
} from './update.js';
