import { statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModuleSymbols } from '../elf/index.js';
import { readModuleFiles } from './module-files.js';

const CACHE_FILE = 'module-symbols-v1.json';

/**
 * One cached file: path, size, mtimeMs, inode, module name, then its versions as (name, crc) pairs,
 * its undefined symbols as name * 2 + weak, and its exports as (name, crc or -1) pairs, every name
 * an index into the shared string table. Flat arrays of numbers keep the file small and quick to
 * parse: a warm `kmp check` is mostly this read.
 */
type Entry = [string, number, number, number, string, number[], number[], number[]];

interface CacheFile {
  readonly strings: string[];
  readonly files: Entry[];
}

/**
 * Reads what `kmp check` needs of many module files, reusing what an earlier run cached in
 * `cacheDir` for files whose size, mtime and inode did not change; the others are read by
 * readModuleFiles, and the cache is rewritten atomically when anything changed.
 */
export async function readModuleSymbolsFiles(
  paths: ReadonlyArray<string>,
  cacheDir: string,
): Promise<ModuleSymbols[]> {
  const cache = await loadCache(cacheDir);
  const results: Array<ModuleSymbols | undefined> = new Array(paths.length);
  const missing: number[] = [];
  const stats = paths.map((path) => statSync(path));
  for (const [index, path] of paths.entries()) {
    const entry = cache.entries.get(path);
    const stat = stats[index]!;
    if (entry !== undefined && entry[1] === stat.size && entry[2] === stat.mtimeMs && entry[3] === stat.ino)
      results[index] = decode(entry, cache.strings);
    else missing.push(index);
  }
  if (missing.length === 0 && cache.entries.size === paths.length) return results as ModuleSymbols[];
  const read = await readModuleFiles(missing.map((index) => paths[index]!));
  for (const [i, index] of missing.entries()) {
    const { path, name, versions, undefinedSymbols, exports } = read[i]!;
    const crcs = exports.map((exp) => ({ name: exp.name, crc: exp.crc }));
    results[index] = { path, name, versions, undefinedSymbols, exports: crcs };
  }
  await saveCache(cacheDir, paths, stats, results as ModuleSymbols[], cache);
  return results as ModuleSymbols[];
}

function decode(entry: Entry, strings: ReadonlyArray<string>): ModuleSymbols {
  const [path, , , , name, versionList, undefinedList, exportList] = entry;
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

async function loadCache(dir: string): Promise<{ strings: string[]; entries: Map<string, Entry> }> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, CACHE_FILE), 'utf8')) as CacheFile;
    if (
      !Array.isArray(parsed.strings) ||
      !Array.isArray(parsed.files) ||
      !parsed.files.every((entry) => Array.isArray(entry) && entry.length === 8)
    )
      throw new Error('not a cache');
    return { strings: parsed.strings, entries: new Map(parsed.files.map((entry) => [entry[0], entry])) };
  } catch {
    // a missing or unreadable cache only costs a cold read
    return { strings: [], entries: new Map() };
  }
}

/** Writes these files' entries, and keeps the other files' (another tree checked earlier). */
async function saveCache(
  dir: string,
  paths: ReadonlyArray<string>,
  stats: ReadonlyArray<{ size: number; mtimeMs: number; ino: number }>,
  modules: ReadonlyArray<ModuleSymbols>,
  old: { strings: ReadonlyArray<string>; entries: ReadonlyMap<string, Entry> },
): Promise<void> {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const id = (text: string) => {
    let at = ids.get(text);
    if (at === undefined) {
      at = strings.length;
      strings.push(text);
      ids.set(text, at);
    }
    return at;
  };
  const files = new Map<string, Entry>();
  for (const [index, module] of modules.entries()) {
    const stat = stats[index]!;
    files.set(paths[index]!, [
      paths[index]!,
      stat.size,
      stat.mtimeMs,
      stat.ino,
      module.name,
      module.versions.flatMap((version) => [id(version.name), version.crc]),
      module.undefinedSymbols.map((symbol) => id(symbol.name) * 2 + (symbol.weak ? 1 : 0)),
      module.exports.flatMap((exp) => [id(exp.name), exp.crc ?? -1]),
    ]);
  }
  // entries kept from the old cache point into the old string table: re-encode them
  for (const [path, entry] of old.entries)
    if (!files.has(path)) {
      const module = decode(entry, old.strings);
      files.set(path, [
        ...entry.slice(0, 5),
        module.versions.flatMap((version) => [id(version.name), version.crc]),
        module.undefinedSymbols.map((symbol) => id(symbol.name) * 2 + (symbol.weak ? 1 : 0)),
        module.exports.flatMap((exp) => [id(exp.name), exp.crc ?? -1]),
      ] as Entry);
    }
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${CACHE_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify({ strings, files: [...files.values()] } satisfies CacheFile));
  await rename(tmp, join(dir, CACHE_FILE));
}
