import type { ModuleInfo } from '../../src/elf/types.js';
import type { InstalledKernel, KmpBuild, KmpSymbol, ResolveFields } from '../../src/kabi/resolve-types.js';

/** A module as the resolver takes it: the fields of elf/'s ModuleInfo it reads. */
export type Mod = Pick<ModuleInfo, ResolveFields>;

import type { SymversEntry } from '../../src/kabi/types.js';

/** `name:crc` pairs, crc in hex, `name` alone for no CRC. */
export function syms(...specs: string[]): KmpSymbol[] {
  return specs.map((spec) => {
    const [name, crc] = spec.split(':') as [string, string | undefined];
    return { name, crc: crc === undefined ? undefined : Number.parseInt(crc, 16) };
  });
}

export function mod(name: string, exports: string[] = [], imports: string[] = []): Mod {
  return modOf(name, syms(...exports), syms(...imports));
}

/** A module whose imports are strong undefined symbols, with a `__versions` entry when they have a CRC. */
export function modOf(name: string, exports: KmpSymbol[], imports: KmpSymbol[]): Mod {
  return {
    name,
    path: `${name}.ko`,
    vermagic: undefined,
    exports: exports.map((e) => ({ name: e.name, crc: e.crc, gpl: false })),
    versions: imports.flatMap((i) => (i.crc === undefined ? [] : [{ name: i.name, crc: i.crc }])),
    undefinedSymbols: imports.map((i) => ({ name: i.name, weak: false })),
  };
}

export function kernel(
  release: string,
  vmlinux: string[],
  modules: Mod[] = [],
  initrd: string[] = [],
  flavor = release.slice(release.lastIndexOf('-') + 1),
): InstalledKernel {
  const entries = new Map<string, SymversEntry>();
  for (const s of syms(...vmlinux))
    entries.set(s.name, {
      symbol: s.name,
      crc: s.crc ?? 0,
      module: 'vmlinux',
      exportType: 'EXPORT_SYMBOL',
      namespace: undefined,
    });
  // module exports also appear in symvers, but like depmod the resolver takes them from the modules
  for (const m of modules)
    for (const s of m.exports)
      entries.set(s.name, {
        symbol: s.name,
        crc: s.crc ?? 0,
        module: `drivers/${m.name}`,
        exportType: 'EXPORT_SYMBOL',
        namespace: undefined,
      });
  return { release, flavor, vermagic: vermagicOf(release), symvers: { entries }, modules, initrd };
}

/** The vermagic of a Debian amd64 kernel of that release (built with modversions). */
export function vermagicOf(release: string, flags = 'SMP preempt mod_unload modversions '): string {
  return `${release} ${flags}`;
}

export function build(
  pkg: string,
  version: string,
  builtFor: string,
  modules: Mod[],
  bootCritical = false,
  flavor = builtFor.slice(builtFor.lastIndexOf('-') + 1),
): KmpBuild {
  return { package: pkg, version, flavor, builtFor, modules, bootCritical };
}
