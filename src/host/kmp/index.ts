/** Kernel module packages on disk: the store, weak-updates/ links, the journal, depmod. */

export { type DepmodFailure, executeLinkPlan } from './execute.js';
export { type InstalledHook, installKernelHooks, kernelHooks } from './hooks.js';
export { owedDepmods } from './journal.js';
export { type KernelTreeOptions, readKernelTree, symversPlaces } from './kernel-tree.js';
export { elfModuleReader, type ModuleReader } from './module-reader.js';
export {
  type KernelRead,
  type KernelSource,
  type KmpOptions,
  type KmpOutcome,
  kmpAdd,
  kmpAddKernel,
  kmpLink,
  kmpRemove,
  kmpRemoveKernel,
} from './operations.js';
export { kmpPack, type PackedPackage, type PackOptions } from './pack.js';
export { readLinks, readState } from './state.js';
