import type { ModuleExport, ModuleSymbols } from './types.js';

/**
 * The comparisons `depmod -e` makes for one module, in its order (kmod_elf_get_dependency_symbols
 * in libkmod/libkmod-elf.c, filtered as depmod_load_module_dependencies in tools/depmod.c): every
 * non-weak undefined symbol with the CRC of its `__versions` entry (NO_CRC without one;
 * kmod_elf_crc_find takes a name's first entry), then every `__versions` entry no undefined symbol
 * names (how `module_layout` gets checked). The one model of a module's imports: `kmp check` reads
 * NO_CRC as depmod does (0), resolution skips the comparison as the kernel does (docs/kmp.md,
 * "Missing CRCs"). Two parallel arrays, not a list of pairs: a tree of 4,000 modules
 * makes 370,000 of them, and objects for each cost more garbage collection than reading the files.
 */
export interface ImportList {
  readonly names: ReadonlyArray<string>;
  /** the CRC the module wants for the name at the same index; NO_CRC where `__versions` has none */
  readonly crcs: ReadonlyArray<number>;
}

/** An import without a `__versions` entry (a CRC is 32 bits, so -1 is never one). */
export const NO_CRC = -1;

/** What `kmp check` needs of a module: its name, its ImportList and its exports. */
export interface ModuleImports {
  readonly path: string;
  readonly name: string;
  readonly imports: ImportList;
  readonly exports: ReadonlyArray<Pick<ModuleExport, 'name' | 'crc'>>;
}

/** Builds an ImportList from a module's `__versions` entries (all first), then its undefined symbols. */
export class ImportCollector {
  private readonly firstCrc = new Map<string, number>();
  private readonly versionNames: string[] = [];
  private readonly versionCrcs: number[] = [];
  private readonly named = new Set<string>();
  private readonly names: string[] = [];
  private readonly crcs: number[] = [];

  readonly version = (name: string, crc: number): void => {
    this.versionNames.push(name);
    this.versionCrcs.push(crc);
    if (!this.firstCrc.has(name)) this.firstCrc.set(name, crc);
  };

  readonly undefinedSymbol = (name: string, weak: boolean): void => {
    if (name === '') return;
    this.named.add(name);
    if (weak) return;
    this.names.push(name);
    this.crcs.push(this.firstCrc.get(name) ?? NO_CRC);
  };

  finish(): ImportList {
    for (const [i, name] of this.versionNames.entries())
      if (!this.named.has(name)) {
        this.names.push(name);
        this.crcs.push(this.versionCrcs[i]!);
      }
    return { names: this.names, crcs: this.crcs };
  }
}

/** The ImportList of a module read whole. */
export function importListOf(module: Pick<ModuleSymbols, 'versions' | 'undefinedSymbols'>): ImportList {
  const collector = new ImportCollector();
  for (const version of module.versions) collector.version(version.name, version.crc);
  for (const symbol of module.undefinedSymbols) collector.undefinedSymbol(symbol.name, symbol.weak);
  return collector.finish();
}
