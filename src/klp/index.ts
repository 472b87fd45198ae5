/**
 * The livepatch core as a pure state machine: patches, transitions, callbacks, func stacks and the
 * errors the kernel answers, for the replace-bool, replace-set and provides kernel kinds.
 */
export { type Errno, errnoFromName, findErrnoByMessage } from './errno.js';
export { formatEvent, type KlpEvent, type ModuleState } from './events.js';
export { DEBUG_MARK, debugOnlyIndexes, isDebugOnlyLine, simulationLog } from './log.js';
export {
  CALLBACK_NAMES,
  type CallbackName,
  type PatchManifest,
  type PatchManifestInput,
  patchManifestJsonSchema,
  patchManifestSchema,
  patchNameSchema,
} from './manifest.js';
export {
  parseScenario,
  renderStep,
  type Scenario,
  type Step,
  scenarioSchema,
  stepSchema,
} from './scenario.js';
export {
  applyStep,
  describeSystem,
  runScenario,
  type SimulatedStep,
  type Simulation,
  type StepContext,
  type StepResult,
  stepContext,
} from './simulate.js';
export { funcWinners, type SysfsObjectView, type SysfsPatchView, sysfsView } from './sysfs.js';
export { createSystem, defaultAttributes } from './system.js';
export type { KernelKind, KlpPatch, KlpState, KlpSystem, TargetState } from './types.js';
