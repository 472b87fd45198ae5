import type { ModuleSymbols } from '../elf/index.js';

/**
 * What `kmp check` needs of one module as flat arrays: its name, its versions as (name, crc) pairs,
 * its undefined symbols as name * 2 + weak, and its exports as (name, crc or -1) pairs, every name
 * an index into a string table shared by many modules. Flat numbers are quick to parse from JSON
 * (the warm cache) and to copy between threads (the parallel cold read); every module names mostly
 * the same kernel symbols, so the table stays small.
 */
export type EncodedSymbols = [
  name: string,
  versions: number[],
  undefinedSymbols: number[],
  exports: number[],
];

/** Encodes modules against one growing string table. */
export class SymbolsEncoder {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  encode(module: Omit<ModuleSymbols, 'path'>): EncodedSymbols {
    const versions: number[] = [];
    for (const version of module.versions) versions.push(this.id(version.name), version.crc);
    const undefinedSymbols = module.undefinedSymbols.map(
      (symbol) => this.id(symbol.name) * 2 + (symbol.weak ? 1 : 0),
    );
    const exports: number[] = [];
    for (const exp of module.exports) exports.push(this.id(exp.name), exp.crc ?? -1);
    return [module.name, versions, undefinedSymbols, exports];
  }

  private id(text: string): number {
    let at = this.ids.get(text);
    if (at === undefined) {
      at = this.strings.length;
      this.strings.push(text);
      this.ids.set(text, at);
    }
    return at;
  }
}

export function decodeSymbols(
  path: string,
  encoded: EncodedSymbols,
  strings: ReadonlyArray<string>,
): ModuleSymbols {
  const [name, versionList, undefinedList, exportList] = encoded;
  const versions = [];
  for (let i = 0; i < versionList.length; i += 2)
    versions.push({ name: strings[versionList[i]!]!, crc: versionList[i + 1]! });
  const undefinedSymbols = undefinedList.map((code) => ({
    name: strings[code >> 1]!,
    weak: (code & 1) === 1,
  }));
  const exports = [];
  for (let i = 0; i < exportList.length; i += 2) {
    const crc = exportList[i + 1]!;
    exports.push({ name: strings[exportList[i]!]!, crc: crc < 0 ? undefined : crc });
  }
  return { path, name, versions, undefinedSymbols, exports };
}

/** Whether a parsed value has the shape of EncodedSymbols (the cache file is outside input). */
export function isEncodedSymbols(value: unknown): value is EncodedSymbols {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    Array.isArray(value[1]) &&
    Array.isArray(value[2]) &&
    Array.isArray(value[3])
  );
}
