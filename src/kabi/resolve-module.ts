import type { ModuleInfo } from '../elf/types.js';
import type { ResolveModule } from './resolve-types.js';

/**
 * The resolver's light form of a module read by elf/: imports are the `__versions` entries plus the
 * strong undefined symbols without a version entry (weak ones never fail, as in the kernel's
 * resolve_symbol in kernel/module/main.c).
 */
export function resolveModuleOf(info: ModuleInfo, file: string): ResolveModule {
  const versioned = new Map(info.versions.map((v) => [v.name, v.crc]));
  const imports = info.undefinedSymbols
    .filter((s) => !s.weak)
    .map((s) => ({ name: s.name, crc: versioned.get(s.name) }));
  return {
    name: info.name,
    file,
    exports: info.exports.map((e) => ({ name: e.name, crc: e.crc })),
    imports,
  };
}
