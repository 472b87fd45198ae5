/** Plans: the ordered steps from a host's livepatch state to a goal, each checked on the simulator. */
export { assemblePlan, isRefused } from './assemble.js';
export { predictPlan } from './predict.js';
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
