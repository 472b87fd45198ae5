import type { KernelKind, PatchManifest, SysfsPatchView } from '../klp/index.js';

/** A livepatch loaded on the host, with the manifest klpm knows it by (from the repository index). */
export interface LoadedPatch {
  readonly manifest: PatchManifest;
  /** the version-release it brings the component to (the repository's `to`) */
  readonly to: string | undefined;
  readonly enabled: boolean;
  readonly transition: boolean;
}

/** What the plan needs to know of the host: the kernel's kind and what is loaded, in stack order. */
export interface HostLivepatchState {
  readonly kind: KernelKind;
  /** optional sysfs attributes the kernel has (`replace`, `stack_order`) on replace-bool kernels */
  readonly attributes: ReadonlyArray<'replace' | 'stack_order'>;
  /** loaded livepatches, oldest first (/sys/kernel/livepatch, ordered by stack_order or load order) */
  readonly patches: ReadonlyArray<LoadedPatch>;
  /** loaded ordinary modules that some patch targets */
  readonly modules: ReadonlyArray<string>;
}

/** A livepatch the repository offers: its manifest, version and file. */
export interface OfferedPatch {
  readonly manifest: PatchManifest;
  readonly version: string;
  readonly file?: string;
  readonly sha256?: string;
}

export type Goal =
  /** bring the patch's replace set to this patch (first load, upgrade, or downgrade) */
  | { readonly type: 'apply'; readonly patch: OfferedPatch }
  /** take the patch off and out */
  | { readonly type: 'remove'; readonly patch: string }
  /** no livepatch applies: the running build is end of life or unsupported */
  | { readonly type: 'reboot'; readonly reason: string };

/** One action on the host, in the order the plan runs them. */
export type PlanStep =
  | {
      readonly op: 'load';
      readonly patch: string;
      readonly version?: string;
      readonly file?: string;
      readonly sha256?: string;
    }
  | { readonly op: 'disable'; readonly patch: string }
  /** wait until /sys/kernel/livepatch/<patch> is gone: rmmod earlier answers EAGAIN */
  | { readonly op: 'wait-removed'; readonly patch: string }
  | { readonly op: 'unload'; readonly patch: string };

export type PlanKind =
  | 'first-load'
  | 'upgrade-atomic'
  | 'upgrade-two-step'
  | 'downgrade'
  | 'removal'
  | 'nothing'
  | 'reboot';

export interface Plan {
  readonly kind: PlanKind;
  readonly steps: ReadonlyArray<PlanStep>;
  /** what the operator should know: callbacks that differ from an atomic replace, windows, reboots */
  readonly notes: ReadonlyArray<string>;
  /** the simulator's prediction: the kernel log of the whole plan and the sysfs tree after it */
  readonly predictedLog: ReadonlyArray<string>;
  readonly predictedSysfs: ReadonlyArray<SysfsPatchView>;
}

/** A plan klpm will not run, and why (the simulator's answer, or a rule of the mapping). */
export interface RefusedPlan {
  readonly refused: true;
  readonly reason: string;
  readonly steps: ReadonlyArray<PlanStep>;
  readonly predictedLog: ReadonlyArray<string>;
}

/** Orders version-release strings (rpmvercmp); passed in so plan/ stays free of a format. */
export type CompareVersions = (a: string, b: string) => number;
