import {
  type ImportList,
  importListOf,
  type ModuleImports,
  type ModuleSymbols,
  NO_CRC,
} from '../elf/index.js';
import { vmlinuxExports } from './symvers.js';
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
  return checkModuleImports(
    symvers,
    modules.map((module) => ({ ...module, imports: importListOf(module) })),
  );
}

/** checkModules of modules read for the check alone (readModuleImportsElf). */
export function checkModuleImports(symvers: Symvers, modules: ReadonlyArray<ModuleImports>): CheckResult {
  const provided = vmlinuxExports(symvers);
  for (const module of modules) for (const exp of module.exports) provided.set(exp.name, exp.crc ?? 0);
  return answer(
    modules.map((module) => ({ path: module.path, name: module.name, open: module.imports })),
    provided,
  );
}

/** Each module's problems among its `open` imports, once everything `provided` is known. */
function answer(
  modules: ReadonlyArray<{ path: string; name: string; open: ImportList }>,
  provided: ReadonlyMap<string, number>,
): CheckResult {
  let problemCount = 0;
  const checked = Array.from(modules, (module) => {
    const problems = problemsOf(module.open, provided);
    problemCount += problems.length;
    return { path: module.path, name: module.name, problems };
  });
  return { modules: checked, problemCount };
}

/** A leading `.` is dropped when looking up (depmod_symbol_find, for ppc64 ELFv1 function descriptors). */
const found = (provided: ReadonlyMap<string, number>, name: string) =>
  provided.get(name.charCodeAt(0) === 0x2e ? name.slice(1) : name);

/**
 * The CRC depmod compares import `i` with: a missing one is 0 (kmod_elf_crc_find finds none), so it
 * disagrees with any versioned export; the kernel's loader skips it instead (docs/kmp.md, "Missing CRCs").
 */
function wantedCrc(imports: ImportList, i: number): number {
  const crc = imports.crcs[i]!;
  return crc === NO_CRC ? 0 : crc;
}

/** The imports `provided` does not settle, in order. */
function failing(imports: ImportList, provided: ReadonlyMap<string, number>): ImportList {
  const names: string[] = [];
  const crcs: number[] = [];
  for (let i = 0; i < imports.names.length; i++) {
    const name = imports.names[i]!;
    const wanted = wantedCrc(imports, i);
    if (found(provided, name) !== wanted) {
      names.push(name);
      crcs.push(wanted);
    }
  }
  return { names, crcs };
}

/** The imports `provided` does not settle, as depmod prints them: once per symbol and kind. */
function problemsOf(failed: ImportList, provided: ReadonlyMap<string, number>): CheckProblem[] {
  const seen = new Set<string>();
  const problems: CheckProblem[] = [];
  for (let i = 0; i < failed.names.length; i++) {
    const name = failed.names[i]!;
    const crc = found(provided, name);
    const wanted = wantedCrc(failed, i);
    if (crc === wanted) continue;
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
 * of thousands of modules: an import the kernel's own exports settle is dropped at once, so only
 * what may still fail is kept, not every module's imports (holding those cost more than reading the
 * files). A module exporting a symbol the kernel exports with another CRC would unsettle imports
 * already dropped; then `result` gives undefined and the caller runs checkModuleImports over the
 * whole set. A well-built tree never does that (modpost refuses a symbol exported twice).
 */
export class CheckStream {
  private readonly kernel: ReadonlyMap<string, number>;
  /** each exported name's CRC, from the module of the highest index exporting it */
  private readonly exports = new Map<string, { crc: number; index: number }>();
  private readonly modules: Array<{ path: string; name: string; open: ImportList }> = [];
  private shadowed = false;

  constructor(symvers: Symvers) {
    this.kernel = vmlinuxExports(symvers);
  }

  add(index: number, module: ModuleImports): void {
    for (const exp of module.exports) {
      const crc = exp.crc ?? 0;
      const kernelCrc = this.kernel.get(exp.name);
      if (kernelCrc !== undefined && kernelCrc !== crc) this.shadowed = true;
      const earlier = this.exports.get(exp.name);
      if (earlier === undefined || earlier.index <= index) this.exports.set(exp.name, { crc, index });
    }
    this.modules[index] = {
      path: module.path,
      name: module.name,
      open: failing(module.imports, this.kernel),
    };
  }

  /** The answer for every module added (indexes 0 to n - 1), or undefined (see the class). */
  result(): CheckResult | undefined {
    if (this.shadowed) return undefined;
    const provided = new Map(this.kernel);
    for (const [name, { crc }] of this.exports) provided.set(name, crc);
    return answer(this.modules, provided);
  }
}
