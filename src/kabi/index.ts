/** KABI: symvers, which modules a kernel can load, and which KMP build serves each kernel. */
export {
  type CheckProblem,
  type CheckProblemKind,
  type CheckResult,
  CheckStream,
  checkModuleImports,
  checkModules,
  type ModuleCheck,
} from './check.js';
export { buildOfTarget, kmpBuildDir, kmpStoreDir, linkName, weakUpdatesDir } from './kmp-layout.js';
export { blockingGaps, type LinkOperation, planLinks } from './link-plan.js';
export { compareNames, crcHex } from './order.js';
export { resolveKmps } from './resolve.js';
export { importsOf } from './resolve-module.js';
export type {
  BootCriticalGap,
  ChosenBuild,
  InstalledKernel,
  KernelResolution,
  KmpBuild,
  KmpLink,
  KmpSymbol,
  RejectedBuild,
  RejectReason,
  Resolution,
  ResolveFields,
  ServedBefore,
} from './resolve-types.js';
export { parseSymvers, vmlinuxExports } from './symvers.js';
export type { Symvers, SymversEntry } from './types.js';
