import type { ModuleInfo } from '../elf/index.js';
import type { Symvers } from './types.js';

/** A symbol a module imports, with the CRC it was built against (undefined: built without modversions). */
export interface KmpSymbol {
  readonly name: string;
  readonly crc: number | undefined;
}

/**
 * The fields of elf/'s ModuleInfo the resolver reads; a whole ModuleInfo will do. Its `path` is
 * relative to where the module lives: the build directory (`foo.ko`, `extra/foo.ko`) or the
 * kernel's module directory (`kernel/drivers/net/foo.ko`).
 */
export type ResolveFields = 'name' | 'path' | 'vermagic' | 'versions' | 'undefinedSymbols' | 'exports';

/** An installed kernel as the resolver sees it. */
export interface InstalledKernel {
  /** `uname -r`, for example `6.1.0-47-amd64` */
  readonly release: string;
  /** for example `amd64`, `default`, `rt`: builds of another flavor are never used */
  readonly flavor: string;
  /**
   * the vermagic its modules must match (same_magic), read from its in-tree modules; undefined for a
   * kernel registered before klpm read it
   */
  readonly vermagic: string | undefined;
  readonly symvers: Symvers;
  readonly modules: ReadonlyArray<Pick<ModuleInfo, ResolveFields>>;
  /** module names the kernel's initrd holds: a KMP shipping one of them is boot-critical there */
  readonly initrd: ReadonlyArray<string>;
}

/** One build of a kernel module package: package X, version V, built for kernel K. */
export interface KmpBuild {
  readonly package: string;
  readonly version: string;
  readonly flavor: string;
  /** the kernel release the build was compiled against (kmp.json's `kernel`) */
  readonly builtFor: string;
  readonly modules: ReadonlyArray<Pick<ModuleInfo, ResolveFields>>;
  readonly bootCritical: boolean;
}

/** A link `weak-updates/<name>` of a kernel pointing at a module of a chosen build. */
export interface KmpLink {
  readonly kernel: string;
  /** file name under weak-updates/, the module's basename */
  readonly name: string;
  /** where the link points, relative to the root: `/usr/lib/klpm/kmp/<package>/<version>/<built-for>/<file>` */
  readonly target: string;
}

/** Why a build cannot serve a kernel. */
export type RejectReason =
  | {
      /** an import of the build's module is missing from the kernel (unknown) or has another CRC (crc) */
      readonly kind: 'unknown' | 'crc';
      readonly module: string;
      readonly symbol: string;
      readonly wanted: number | undefined;
      readonly found: number | undefined;
    }
  | {
      /**
       * the build's module replaces the in-tree module of that name but does not export `symbol` with the
       * CRC that `neededBy` (another module of the kernel) imports
       */
      readonly kind: 'override-unknown' | 'override-crc';
      readonly module: string;
      readonly symbol: string;
      readonly neededBy: string;
      readonly wanted: number | undefined;
      readonly found: number | undefined;
    }
  | {
      /** the module loader refuses the module's vermagic (same_magic in kernel/module/version.c) */
      readonly kind: 'vermagic';
      readonly module: string;
      readonly vermagic: string;
      readonly kernelVermagic: string;
    }
  | {
      /** the module has no `__versions` and the kernel has modversions: try_to_force_load refuses it */
      readonly kind: 'no-versions';
      readonly module: string;
    }
  | {
      /** the kernel's vermagic is not known (registered before klpm read it): a boot-critical module is not risked */
      readonly kind: 'kernel-vermagic-unknown';
      readonly module: string;
    }
  | {
      /** a module of the same name is already chosen from another package (`owner`) */
      readonly kind: 'duplicate';
      readonly module: string;
      readonly owner: string;
    }
  | {
      /**
       * the build's module exports a symbol that `owner` (vmlinux, an in-tree module or another
       * package's module) already exports: the kernel refuses to load it, as verify_exported_symbols
       * in kernel/module/main.c ("exports duplicate symbol")
       */
      readonly kind: 'export-clash';
      readonly module: string;
      readonly symbol: string;
      readonly owner: string;
    };

export interface RejectedBuild {
  readonly package: string;
  readonly version: string;
  readonly builtFor: string;
  readonly reasons: ReadonlyArray<RejectReason>;
}

export interface ChosenBuild {
  readonly package: string;
  readonly version: string;
  readonly builtFor: string;
  /** the kernel's own build (built for this very kernel) */
  readonly own: boolean;
}

/** A package that has no compatible build for a kernel although it must: the kernel may not boot. */
export interface BootCriticalGap {
  readonly kernel: string;
  readonly package: string;
  /** why the package is boot-critical there */
  readonly because: 'marked' | 'initrd';
  /** the kernel was served by the package before this resolution */
  readonly had: boolean;
}

export interface KernelResolution {
  readonly kernel: string;
  readonly flavor: string;
  readonly chosen: ReadonlyArray<ChosenBuild>;
  readonly links: ReadonlyArray<KmpLink>;
  readonly rejected: ReadonlyArray<RejectedBuild>;
  /** packages that served this kernel before and have no build for it now */
  readonly lost: ReadonlyArray<string>;
  readonly gaps: ReadonlyArray<BootCriticalGap>;
}

export interface Resolution {
  readonly kernels: ReadonlyArray<KernelResolution>;
}

/** Which packages served which kernel before (from the weak-updates links on disk). */
export interface ServedBefore {
  readonly kernel: string;
  readonly package: string;
  /** the serving build was marked boot-critical: losing the package is a gap even with no build left */
  readonly bootCritical?: boolean;
  /** module names of the serving build, checked against the initrd when no build is left */
  readonly modules?: ReadonlyArray<string>;
}
