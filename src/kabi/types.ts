/** A line of Module.symvers: one exported symbol of a kernel or of a module built with it. */
export interface SymversEntry {
  /** low 32 bits, unsigned */
  readonly crc: number;
  readonly symbol: string;
  /** `vmlinux` or the module path without `.ko` (for example `drivers/net/foo`) */
  readonly module: string;
  /** `EXPORT_SYMBOL`, `EXPORT_SYMBOL_GPL`, ... */
  readonly exportType: string;
  readonly namespace: string | undefined;
}

/** A parsed Module.symvers (or symvers-<ver>.gz): symbol -> entry. */
export interface Symvers {
  readonly entries: ReadonlyMap<string, SymversEntry>;
}
