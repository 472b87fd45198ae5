import type { ModuleSymbols } from '../elf/index.js';
import type { Symvers } from './types.js';

/** Why depmod -e would warn about one imported symbol. */
export type CheckProblemKind = 'unknown' | 'crc';

/** One warning of `depmod -e -E`: the module path, the symbol, and which of the two warnings. */
export interface CheckProblem {
  readonly symbol: string;
  readonly kind: CheckProblemKind;
  /** the CRC the module was built against (0 when it has no entry in `__versions`) */
  readonly wanted: number;
  /** the CRC the kernel or another module of the set provides; absent for unknown symbols */
  readonly found: number | undefined;
}

/** The problems of one module; none means depmod would load it against this symvers. */
export interface ModuleCheck {
  readonly path: string;
  readonly name: string;
  readonly problems: ReadonlyArray<CheckProblem>;
}

/** The answer for a set of modules against one kernel's symvers. */
export interface CheckResult {
  readonly modules: ReadonlyArray<ModuleCheck>;
  readonly problemCount: number;
}

/**
 * Gives the answer of `depmod -e -E symvers` over a tree holding exactly `modules`, following
 * tools/depmod.c and libkmod/libkmod-elf.c (kmod 30):
 * - the kernel's exports are the `vmlinux` lines of the symvers (depmod_load_symvers); every module
 *   of the set then adds its own exports, a later one replacing an earlier one (depmod_load_modules),
 *   with CRC 0 when it was built without modversions;
 * - a module's imports are its undefined `.symtab` symbols with the CRC from its `__versions` (0 when
 *   absent), then every `__versions` entry no symbol used, such as `module_layout`
 *   (kmod_elf_get_dependency_symbols); a leading `.` is dropped when looking up (depmod_symbol_find);
 * - weak imports never warn; an import nobody exports is `needs unknown symbol`, one whose CRC
 *   differs is `disagrees about version of symbol` (depmod_load_module_dependencies).
 */
export function checkModules(symvers: Symvers, modules: ReadonlyArray<ModuleSymbols>): CheckResult {
  const provided = new Map<string, number>();
  for (const entry of symvers.entries.values())
    if (entry.module === 'vmlinux') provided.set(entry.symbol, entry.crc);
  for (const module of modules) for (const exp of module.exports) provided.set(exp.name, exp.crc ?? 0);
  let problemCount = 0;
  const checked = modules.map((module) => {
    const problems = dedupe(failing(module, provided), provided);
    problemCount += problems.length;
    return { path: module.path, name: module.name, problems };
  });
  return { modules: checked, problemCount };
}

/** One comparison depmod makes: an imported symbol and the CRC the module wants. */
interface ImportCheck {
  readonly name: string;
  readonly wanted: number;
}

/**
 * Hands `compare` the comparisons depmod makes for one module, in its order: every non-weak
 * undefined symbol with the CRC of its `__versions` entry (0 without one; kmod_elf_crc_find takes
 * a name's first entry), then every `__versions` entry no undefined symbol names. A callback, not
 * a list: over a tree, hundreds of thousands of comparisons are made and nearly all dropped.
 */
function eachComparison(
  module: Pick<ModuleSymbols, 'versions' | 'undefinedSymbols'>,
  compare: (name: string, wanted: number) => void,
): void {
  const crcs = new Map<string, number>();
  for (const version of module.versions) if (!crcs.has(version.name)) crcs.set(version.name, version.crc);
  const used = new Set<string>();
  for (const symbol of module.undefinedSymbols) {
    if (symbol.name === '') continue;
    used.add(symbol.name);
    if (!symbol.weak) compare(symbol.name, crcs.get(symbol.name) ?? 0);
  }
  for (const version of module.versions) if (!used.has(version.name)) compare(version.name, version.crc);
}

/** The comparisons of a module that `provided` does not settle. */
function failing(
  module: Pick<ModuleSymbols, 'versions' | 'undefinedSymbols'>,
  provided: ReadonlyMap<string, number>,
): ImportCheck[] {
  const open: ImportCheck[] = [];
  eachComparison(module, (name, wanted) => {
    if (found(provided, name) !== wanted) open.push({ name, wanted });
  });
  return open;
}

/** A leading `.` is dropped when looking up (depmod_symbol_find, for ppc64 ELFv1 function descriptors). */
const found = (provided: ReadonlyMap<string, number>, name: string) =>
  provided.get(name.charCodeAt(0) === 0x2e ? name.slice(1) : name);

/** Failed comparisons as depmod prints them: once per symbol and kind. */
function dedupe(failed: ReadonlyArray<ImportCheck>, provided: ReadonlyMap<string, number>): CheckProblem[] {
  const seen = new Set<string>();
  const problems: CheckProblem[] = [];
  for (const { name, wanted } of failed) {
    const crc = found(provided, name);
    const kind = crc === undefined ? 'unknown' : 'crc';
    const key = `${kind}\0${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ symbol: name, kind, wanted, found: crc });
  }
  return problems;
}

/**
 * checkModules one module at a time, in any order (each comes with its index in the set), for trees
 * of thousands of modules: a comparison the kernel's own exports settle is dropped at once, so only
 * what may still fail is kept, not every module's imports (holding those cost more than reading the
 * files). A module exporting a symbol the kernel exports with another CRC would unsettle
 * comparisons already dropped; then `result` gives undefined and the caller runs checkModules over
 * the whole set. A well-built tree never does that (modpost refuses a symbol exported twice).
 */
export class CheckStream {
  private readonly kernel = new Map<string, number>();
  /** each exported name's CRC, from the module of the highest index exporting it */
  private readonly exports = new Map<string, { crc: number; index: number }>();
  private readonly modules: Array<{ path: string; name: string; open: ImportCheck[] }> = [];
  private shadowed = false;

  constructor(symvers: Symvers) {
    for (const entry of symvers.entries.values())
      if (entry.module === 'vmlinux') this.kernel.set(entry.symbol, entry.crc);
  }

  add(index: number, module: ModuleSymbols): void {
    for (const exp of module.exports) {
      const crc = exp.crc ?? 0;
      const kernelCrc = this.kernel.get(exp.name);
      if (kernelCrc !== undefined && kernelCrc !== crc) this.shadowed = true;
      const earlier = this.exports.get(exp.name);
      if (earlier === undefined || earlier.index <= index) this.exports.set(exp.name, { crc, index });
    }
    const open = failing(module, this.kernel);
    this.modules[index] = { path: module.path, name: module.name, open };
  }

  /** The answer for every module added (indexes 0 to n - 1), or undefined (see the class). */
  result(): CheckResult | undefined {
    if (this.shadowed) return undefined;
    const provided = new Map(this.kernel);
    for (const [name, { crc }] of this.exports) provided.set(name, crc);
    let problemCount = 0;
    const modules = Array.from(this.modules, (module) => {
      const problems = dedupe(
        module.open.filter(({ name, wanted }) => found(provided, name) !== wanted),
        provided,
      );
      problemCount += problems.length;
      return { path: module.path, name: module.name, problems };
    });
    return { modules, problemCount };
  }
}
