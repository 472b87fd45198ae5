import type { ModuleInfo } from '../elf/index.js';
import type {
  InstalledKernel,
  KmpBuild,
  KmpLink,
  ResolveFields,
  ServedBefore,
  SymversEntry,
} from '../kabi/index.js';
import { buildOfTarget } from '../kabi/index.js';
import { flavorOf, type KernelDescription } from './schema.js';

/** Which packages served which kernel before, from the weak-updates links klpm owns on disk. */
export function servedBefore(links: ReadonlyArray<KmpLink>, builds: ReadonlyArray<KmpBuild>): ServedBefore[] {
  const seen = new Map<string, ServedBefore>();
  for (const link of links) {
    const at = buildOfTarget(link.target);
    if (!at) continue;
    const build = builds.find(
      (b) => b.package === at.package && b.version === at.version && b.builtFor === at.builtFor,
    );
    seen.set(`${link.kernel}\0${at.package}`, {
      kernel: link.kernel,
      package: at.package,
      bootCritical: build?.bootCritical ?? false,
      modules: build?.modules.map((m) => m.name) ?? [],
    });
  }
  return [...seen.values()];
}

/** A kernel described in JSON (`klpm kmp add-kernel --describe`) as the resolver takes it. */
export function kernelFromDescription(d: KernelDescription): InstalledKernel {
  const entries = new Map<string, SymversEntry>(
    d.symvers.map((e) => [
      e.symbol,
      { symbol: e.symbol, crc: e.crc, module: e.module, exportType: e.exportType, namespace: e.namespace },
    ]),
  );
  return {
    release: d.release,
    flavor: d.flavor ?? flavorOf(d.release),
    vermagic: d.vermagic,
    initrd: d.initrd,
    symvers: { entries },
    modules: d.modules.map((m) => describedModule(m.name, m.file, m.exports, m.imports)),
  };
}

type Described = { readonly name: string; readonly crc?: number | undefined };

/**
 * A module given by its symbols in JSON as the part of ModuleInfo the resolver reads: imports
 * become strong undefined symbols (versioned when they carry a CRC); described exports are taken
 * as not GPL-only, which resolution never looks at.
 */
export function describedModule(
  name: string,
  path: string,
  exports: ReadonlyArray<Described>,
  imports: ReadonlyArray<Described>,
  vermagic?: string,
): Pick<ModuleInfo, ResolveFields> {
  return {
    name,
    path,
    vermagic,
    exports: exports.map((s) => ({ name: s.name, crc: s.crc, gpl: false })),
    versions: imports.flatMap((s) => (s.crc === undefined ? [] : [{ name: s.name, crc: s.crc }])),
    undefinedSymbols: imports.map((s) => ({ name: s.name, weak: false })),
  };
}
