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
    const problems = checkImports(module, provided);
    problemCount += problems.length;
    return { path: module.path, name: module.name, problems };
  });
  return { modules: checked, problemCount };
}

function checkImports(module: ModuleSymbols, provided: ReadonlyMap<string, number>): CheckProblem[] {
  const crcs = new Map<string, number>();
  // kmod_elf_crc_find takes the first entry of a name
  for (const version of module.versions) if (!crcs.has(version.name)) crcs.set(version.name, version.crc);
  const used = new Set<string>();
  const problems: CheckProblem[] = [];
  const seen = new Set<string>();
  const check = (name: string, weak: boolean, wanted: number) => {
    if (weak) return;
    const lookup = name.startsWith('.') ? name.slice(1) : name;
    const found = provided.get(lookup);
    const kind = found === undefined ? 'unknown' : found !== wanted ? 'crc' : undefined;
    if (kind === undefined) return;
    const key = `${kind}\0${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ symbol: name, kind, wanted, found });
  };
  for (const symbol of module.undefinedSymbols) {
    if (symbol.name === '') continue;
    used.add(symbol.name);
    check(symbol.name, symbol.weak, crcs.get(symbol.name) ?? 0);
  }
  for (const version of module.versions) if (!used.has(version.name)) check(version.name, false, version.crc);
  return problems;
}
