/**
 * Release checks for livepatch builds (`klpm lint`, docs/lint.md): what replacing the previous build
 * by a new one reverts or breaks, clashes with other replace sets, downgrades, callback mistakes and
 * module hygiene, with the simulator's predicted kernel log of the change.
 */
export { parseManifestFile } from './manifest-file.js';
export { versionOf } from './prediction.js';
export { lintRelease } from './release.js';
export { RULES } from './rules.js';
export { parseSymbolTable } from './symbol-table.js';
export type {
  BuildRef,
  Finding,
  KlpSym,
  LintInput,
  LintOptions,
  LintReport,
  Prediction,
  RuleId,
  Severity,
  SymbolTable,
} from './types.js';
