import type { ModuleImports } from './imports.js';

/**
 * ModuleImports as flat arrays: the module's name, its import names, the CRCs they want, and its
 * exports as (name, crc or -1) pairs, every symbol name an index into a string table shared by many
 * modules. Flat numbers parse quickly from JSON, and every module names mostly the same kernel
 * symbols, so the table stays small.
 */
export type EncodedImports = [name: string, imports: number[], crcs: number[], exports: number[]];

/** Encodes modules against one growing string table. */
export class ImportsEncoder {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  encode(module: Omit<ModuleImports, 'path'>): EncodedImports {
    const exports: number[] = [];
    for (const exp of module.exports) exports.push(this.id(exp.name), exp.crc ?? -1);
    return [
      module.name,
      module.imports.names.map((name) => this.id(name)),
      [...module.imports.crcs],
      exports,
    ];
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

export function decodeImports(
  path: string,
  encoded: EncodedImports,
  strings: ReadonlyArray<string>,
): ModuleImports {
  const [name, importIds, crcs, exportList] = encoded;
  const exports = [];
  for (let i = 0; i < exportList.length; i += 2) {
    const crc = exportList[i + 1]!;
    exports.push({ name: strings[exportList[i]!]!, crc: crc < 0 ? undefined : crc });
  }
  return { path, name, imports: { names: importIds.map((id) => strings[id]!), crcs }, exports };
}

/** Whether a parsed value has the shape of EncodedImports (the cache file is outside input). */
export function isEncodedImports(value: unknown): value is EncodedImports {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    Array.isArray(value[1]) &&
    Array.isArray(value[2]) &&
    value[1].length === value[2].length &&
    Array.isArray(value[3])
  );
}
