/**
 * Rollouts in waves, pins, and what they let a host's plan offer: pure rules (docs/fleet.md,
 * "Rollouts", RO-*). The server keeps the state in the store and calls these.
 */
export { type Advanced, actOnRollout, advanceRollout, type RolloutAction } from './advance.js';
export {
  type Candidate,
  eventFailure,
  type HostChange,
  newRollout,
  placeHost,
  type RolloutView,
  reportChange,
  rolloutView,
} from './facts.js';
export { type Gate, type GatedPlan, gatedPlan, gatesFor, type Membership } from './gate.js';
export { hostPercentile, waveOf } from './membership.js';
export { inScope, runningVersion, versionOfUpdate } from './scope.js';
export {
  budgetOf,
  type Pin,
  type PinKey,
  type PinSpec,
  pinKeySchema,
  pinSchema,
  type RolloutSpec,
  rolloutSpecSchema,
  type WaveSpec,
  waveSpecSchema,
} from './spec.js';
export {
  ACTIVE_STATES,
  type HostFailure,
  type Rollout,
  type RolloutHost,
  type RolloutStateName,
  type WaveState,
  type WaveStateName,
} from './state.js';
