import type { PatchManifest } from '../klp/index.js';
import type { VersionRelease } from '../version/index.js';

/** What a livepatch patches: the Linux kernel or the Xen hypervisor (xapi's two components). */
export type Component = 'kernel' | 'xen';
export const COMPONENTS: ReadonlyArray<Component> = ['kernel', 'xen'];

/** xapi's guidance values (RestartVM as in its newer updateinfo); anything unknown reads as RebootHost. */
export type Guidance =
  | 'RebootHost'
  | 'RestartToolstack'
  | 'EvacuateHost'
  | 'RestartDeviceModel'
  | 'RestartVM';
export const GUIDANCES: ReadonlyArray<Guidance> = [
  'RebootHost',
  'RestartToolstack',
  'EvacuateHost',
  'RestartDeviceModel',
  'RestartVM',
];

/** The four guidance lists an update carries in updateinfo.xml. */
export interface UpdateGuidance {
  readonly mandatory: ReadonlyArray<Guidance>;
  readonly recommended: ReadonlyArray<Guidance>;
  readonly full: ReadonlyArray<Guidance>;
  readonly livepatch: ReadonlyArray<Guidance>;
}

/** One livepatch an update publishes: from the base build to the version-release `to`. */
export interface Livepatch {
  readonly component: Component;
  /** GNU build ID of the base kernel or Xen, lower-case hex */
  readonly baseBuildId: string;
  /** version-release of the base build */
  readonly base: string;
  /** version-release the host reports once the livepatch is applied */
  readonly to: string;
  /** replace set the livepatch replaces within (0: the single set updateinfo knows) */
  readonly replaceSet: number;
  readonly name?: string | undefined;
  readonly file?: string | undefined;
  readonly sha256?: string | undefined;
  /** ISO date after which the vendor stops covering this base with livepatches */
  readonly expires?: string | undefined;
  readonly manifest?: PatchManifest | undefined;
}

/** One update (advisory) of the repository. */
export interface Update {
  readonly id: string;
  /** issue date as published */
  readonly issued: string;
  readonly type: string;
  readonly guidance: UpdateGuidance;
  readonly livepatches: ReadonlyArray<Livepatch>;
}

/** A repository read from updateinfo.xml or klpm's JSON index, updates in published order. */
export interface Repository {
  readonly source: string;
  /** the directory every livepatch `file` lies inside (set by the shell that made them absolute) */
  readonly directory?: string;
  readonly updates: ReadonlyArray<Update>;
  /** what was skipped while reading (a bad `<livepatch>`), each naming the update */
  readonly warnings: ReadonlyArray<string>;
  /** entries whose manifest disagrees with the module file it names (filled by the shell that read the files) */
  readonly fileDisagreements?: ReadonlyArray<FileDisagreement>;
}

/** A repository manifest that is not what its module file holds: the file is what the kernel runs. */
export interface FileDisagreement {
  readonly update: string;
  readonly baseBuildId: string;
  readonly file: string;
  /** one line per difference (manifestDifference in src/livepatch-module) */
  readonly differences: ReadonlyArray<string>;
}

export type { VersionRelease };
