/**
 * What klpm knows of one kernel module file after reading it once. Produced by elf/, consumed by
 * kabi/ and host/. Plain data: it can be cached as JSON.
 */

/** An entry of `__versions` (or of the extended `__version_ext_*` tables): a symbol the module imports, with the CRC it was built against. */
export interface ModuleVersion {
  readonly name: string;
  /** low 32 bits of the CRC, as an unsigned number */
  readonly crc: number;
}

/** A symbol the module leaves undefined in `.symtab` (what it needs from the kernel or other modules). */
export interface ModuleUndefinedSymbol {
  readonly name: string;
  /** STB_WEAK: resolving it never fails */
  readonly weak: boolean;
}

/** A symbol the module exports (`__ksymtab*`), with its CRC from `__crc_<sym>` when built with modversions. */
export interface ModuleExport {
  readonly name: string;
  readonly crc: number | undefined;
  readonly gpl: boolean;
  readonly namespace?: string;
}

export interface ModuleInfo {
  /** the path the module was read from */
  readonly path: string;
  /** `.modinfo` name (the kernel's form: `-` becomes `_`) */
  readonly name: string;
  readonly vermagic: string | undefined;
  readonly srcversion: string | undefined;
  /** `.modinfo` depends, split on commas, empty when none */
  readonly depends: ReadonlyArray<string>;
  readonly intree: boolean;
  /** `.modinfo` livepatch=Y: a livepatch module */
  readonly livepatch: boolean;
  readonly importNs: ReadonlyArray<string>;
  /** every `.modinfo` key with all its values, in file order */
  readonly modinfo: Readonly<Record<string, ReadonlyArray<string>>>;
  /** imports with CRCs; empty for a module built without modversions */
  readonly versions: ReadonlyArray<ModuleVersion>;
  readonly undefinedSymbols: ReadonlyArray<ModuleUndefinedSymbol>;
  readonly exports: ReadonlyArray<ModuleExport>;
  /** NT_GNU_BUILD_ID as lower-case hex, when the module has the note */
  readonly buildId: string | undefined;
  /** the file ends with the module signature marker `~Module signature appended~\n` */
  readonly signed: boolean;
}

/**
 * What `depmod -e` looks at in a module: a view of ModuleInfo, the one type of a module's facts
 * (kabi's resolver takes another view of it, `ResolveFields`; `kmp check` reads the imports already
 * turned into an ImportList, `ModuleImports`).
 */
export type ModuleSymbols = Pick<ModuleInfo, 'path' | 'name' | 'versions' | 'undefinedSymbols'> & {
  readonly exports: ReadonlyArray<Pick<ModuleExport, 'name' | 'crc'>>;
};
