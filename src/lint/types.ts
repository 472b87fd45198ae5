import type { KernelKind, PatchManifest } from '../klp/index.js';
import type { PlanKind, PlanStep } from '../plan/index.js';

/** A `.klp.sym.<object>.<symbol>,<sympos>` symbol: a non-exported symbol the patch resolves at load. */
export interface KlpSym {
  readonly object: string;
  readonly symbol: string;
  readonly sympos: number;
}

/**
 * One build lint looks at, from a manifest file or read from a `.ko`: the manifest, and what only a
 * module file has (its modinfo and `.klp.sym` symbols).
 */
export interface LintInput {
  readonly manifest: PatchManifest;
  readonly modinfo?: Readonly<Record<string, string>>;
  readonly klpSyms?: ReadonlyArray<KlpSym>;
  /** where it came from, as the user named it */
  readonly file: string;
}

/** Names in a System.map or /proc/kallsyms dump: per object (`vmlinux` or a module), name -> count. */
export interface SymbolTable {
  readonly source: string;
  readonly objects: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export interface LintOptions {
  readonly next: LintInput;
  /** earlier (or later) builds of NEW's replace set */
  readonly previous: ReadonlyArray<LintInput>;
  /** builds of other replace sets that may be loaded beside it */
  readonly others: ReadonlyArray<LintInput>;
  readonly kernel: KernelKind;
  /** `uname -r` of the kernel the build is for */
  readonly kernelRelease?: string | undefined;
  readonly symbols?: SymbolTable | undefined;
}

export type Severity = 'error' | 'warning';

export type RuleId =
  | 'cumulative-func'
  | 'cumulative-object'
  | 'states-missing'
  | 'states-lower'
  | 'isolation-func'
  | 'isolation-state'
  | 'downgrade'
  | 'downgrade-states'
  | 'callbacks-no-funcs'
  | 'callbacks-state-setup'
  | 'callbacks-pre-unpatch'
  | 'hygiene-livepatch'
  | 'hygiene-vermagic'
  | 'hygiene-symbol'
  | 'hygiene-sympos'
  | 'version-same'
  | 'upgrade-refused';

/** One thing lint found; fields beyond the first five say what it is about. */
export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly message: string;
  /** the kernel source (file and function) or document the rule comes from */
  readonly source: string;
  /** the build the finding is about */
  readonly file: string;
  readonly object?: string;
  readonly func?: string;
  readonly sympos?: number;
  readonly funcs?: ReadonlyArray<string>;
  readonly state?: number;
  readonly symbol?: string;
  /** the other build involved (a previous build, or a patch of another set) */
  readonly other?: string;
  /** downgrade: the planner's steps and the simulator's log of them */
  readonly steps?: ReadonlyArray<PlanStep>;
  readonly log?: ReadonlyArray<string>;
}

/** What the simulator predicts for the upgrade (or the first load) lint checks. */
export interface Prediction {
  /** the planner's kind of change, or `refused` */
  readonly kind: PlanKind | 'refused';
  readonly steps: ReadonlyArray<PlanStep>;
  readonly notes: ReadonlyArray<string>;
  /** the kernel log the plan produces, up to a refusal */
  readonly log: ReadonlyArray<string>;
  readonly reason?: string;
  /** what the host runs before: the patches of other sets, then the replaced build */
  readonly loaded: ReadonlyArray<string>;
}

/** A build as the report names it. */
export interface BuildRef {
  readonly file: string;
  readonly name: string;
  readonly version: string | undefined;
}

export interface LintReport {
  readonly kernel: KernelKind;
  readonly next: BuildRef;
  /** the build NEW replaces: the newest `--previous` older than NEW */
  readonly replaces: BuildRef | undefined;
  readonly findings: ReadonlyArray<Finding>;
  readonly prediction: Prediction;
  /** what lint did not check, and why */
  readonly notes: ReadonlyArray<string>;
}
