/**
 * Livepatches on a running kernel: its sysfs view and build ID, `klpm status`, updates (read, plan
 * with src/plan, verify, execute), livepatch module files, and the executor with its journal.
 */
export { readRunningBuildId } from './build-id.js';
export {
  type ExecuteOptions,
  type ExecutionResult,
  executePlan,
  type ProgressEvent,
  StepError,
} from './execute.js';
export { type Journal, type JournalRun, openJournal, type RunState, type StepPhase } from './journal.js';
export { type BlockingTask, type KernelControl, KernelOpError, type PatchStatus } from './kernel-control.js';
export { type LiveKernel, SysfsKernel } from './live-kernel.js';
export { PatchFileError, verifyPatchFile } from './patch-file.js';
export {
  disagreementText,
  fileSha256,
  manifestOfFile,
  readLivepatchModuleFile,
  withManifestsFromFiles,
} from './patch-module.js';
export {
  addModuleToIndex,
  buildIndexFromDirectory,
  MODULE_MAP,
  type RepoAddOptions,
  type RepoAddResult,
} from './repo-edit.js';
export { loadRepository, readRepositoryFor, readStatusRepository } from './repo-files.js';
export { type LivepatchStatus, readLivepatchStatus, readUnfinishedRun, statusDocument } from './status.js';
export { SysfsControl, toKernelOpError } from './sysfs-control.js';
export { readLivepatchView } from './sysfs-view.js';
export { runUpdate, type UpdateOptions, type UpdateReport, type UpdateResult } from './update.js';
