import type { ModuleInfo } from '../../src/elf/types.js';

/** `name:crc` (crc in hex) or `name` (no CRC), as in the resolver builders. */
function parse(spec: string): { name: string; crc: number | undefined } {
  const [name, crc] = spec.split(':') as [string, string | undefined];
  return { name, crc: crc === undefined ? undefined : Number.parseInt(crc, 16) };
}

/**
 * A ModuleInfo as elf/'s reader would produce it, for tests that must not depend on that reader:
 * `imports` become `__versions` entries (when they carry a CRC) and strong undefined symbols,
 * `weak` become weak undefined symbols.
 */
export function moduleInfo(
  name: string,
  options: { exports?: string[]; imports?: string[]; weak?: string[]; path?: string } = {},
): ModuleInfo {
  const imports = (options.imports ?? []).map(parse);
  return {
    path: options.path ?? `${name}.ko`,
    name,
    vermagic: undefined,
    srcversion: undefined,
    depends: [],
    intree: false,
    livepatch: false,
    importNs: [],
    modinfo: { name: [name] },
    versions: imports.flatMap((s) => (s.crc === undefined ? [] : [{ name: s.name, crc: s.crc }])),
    undefinedSymbols: [
      ...imports.map((s) => ({ name: s.name, weak: false })),
      ...(options.weak ?? []).map((w) => ({ name: w, weak: true })),
    ],
    exports: (options.exports ?? []).map(parse).map((s) => ({ name: s.name, crc: s.crc, gpl: false })),
    buildId: undefined,
    signed: false,
  };
}
