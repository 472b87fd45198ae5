/** KABI: symvers and which modules a kernel can load. */

// symvers and check (elf2)
export {
  type CheckProblem,
  type CheckProblemKind,
  type CheckResult,
  checkModules,
  type ModuleCheck,
} from './check.js';
export { parseSymvers } from './symvers.js';
export type { Symvers, SymversEntry } from './types.js';
