/** Carrying out plans on a running kernel: the executor, its journal and lock. */
export {
  type ExecuteOptions,
  type ExecutionResult,
  executePlan,
  type ProgressEvent,
  StepFailure,
} from './execute.js';
export { type Journal, type JournalRun, openJournal, type RunState, type StepPhase } from './journal.js';
export { type BlockingTask, type KernelControl, KernelOpError, type PatchStatus } from './kernel-control.js';
export { acquireLock, type Lock, LockBusyError } from './lock.js';
export { SysfsControl, toKernelOpError } from './sysfs-control.js';
