/**
 * The imperative shell's face: everything that touches a real machine, under a root. Livepatches on
 * the running kernel, kernel module files, the KMP store and weak-updates links, klpm's own places
 * (paths) and its lock.
 */
export { cannotRead, listNames, readFileBytes, readFileText, readOptionalText } from './files.js';
export * from './kmp/index.js';
export { readLineBatches, readLines } from './lines.js';
export { type LintFiles, lintFiles } from './lint-files.js';
export * from './livepatch/index.js';
export { acquireLock, acquireLockWaiting, type Lock, LockBusyError } from './lock.js';
export * from './modules/index.js';
export { cachePath, statePath, statePaths, type WritingCommand, writesOf } from './paths.js';
export type { ReadProblem } from './read-problem.js';
