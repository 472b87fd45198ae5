import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import xzDecompress from 'xz-decompress';
import {
  compressionOf,
  decompressModule,
  type ModuleInfo,
  moduleRanges,
  parseElf,
  readModule,
  sectionHeaderRange,
} from '../elf/index.js';
import { InputError } from '../input/index.js';

const MODULE_FILE = /\.ko(\.(gz|xz|zst))?$/;
const CACHE_FILE = 'module-info-v1.json';

/** Where module metadata read earlier is kept, keyed by path, size and mtime. */
export interface ReadModulesOptions {
  /** directory holding the JSON cache; none: read every file */
  readonly cacheDir?: string;
}

/**
 * Expands files and directories (searched recursively) into module files (`.ko`, `.ko.gz`,
 * `.ko.xz`, `.ko.zst`), sorted, each once. A missing path is bad input.
 */
export async function listModuleFiles(paths: ReadonlyArray<string>): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new InputError(
        'no such file or directory: expected a module file or a directory of modules',
        path,
      );
    }
    if (info.isDirectory()) {
      const entries = readdirSync(path, { recursive: true, withFileTypes: true });
      for (const entry of entries)
        if (entry.isFile() && MODULE_FILE.test(entry.name)) found.add(join(entry.parentPath, entry.name));
    } else found.add(path);
  }
  return [...found].sort();
}

/** Reads one module file, compressed or not, into ModuleInfo. */
export async function readModuleFile(path: string): Promise<ModuleInfo> {
  try {
    const sparse = readUncompressedSparse(path);
    if (sparse !== undefined) return readModule(sparse, path);
    const bytes = await readFile(path);
    return readModule(await uncompress(bytes, path), path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, path);
  }
}

/**
 * Reads only the parts of an uncompressed module that readModule looks at into a zero-filled
 * buffer of the file's size, as depmod only touches the pages of its mmap it needs: most of a
 * module is code and relocations. Undefined for a compressed file, which must be read whole.
 */
function readUncompressedSparse(path: string): Uint8Array | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    const fill = (offset: number, length: number) => {
      const end = Math.min(size, offset + length);
      for (let at = offset; at < end; ) {
        const n = readSync(fd, bytes, at, end - at, at);
        if (n === 0) break;
        at += n;
      }
    };
    fill(0, 64);
    if (compressionOf(bytes) !== 'none') return undefined;
    const table = sectionHeaderRange(bytes);
    if (table === undefined) {
      fill(64, size);
      return bytes;
    }
    fill(table.offset, table.length);
    const names = parseElf(bytes, path);
    const nameSection = names.sections[names.namesIndex]!;
    fill(nameSection.offset, nameSection.size);
    for (const range of moduleRanges(parseElf(bytes, path))) fill(range.offset, range.length);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * No maintained xz decoder for Node 20 is synchronous and pure (`@napi-rs/lzma` needs Node 22), so
 * `.ko.xz` is decoded here by xz-decompress (a C decoder compiled to WebAssembly, a stream API);
 * gzip and zstd are decoded in memory by src/elf.
 */
async function uncompress(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  if (compressionOf(bytes) !== 'xz') return decompressModule(bytes, path);
  try {
    const stream = new xzDecompress.XzReadableStream(new Blob([bytes]).stream());
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new InputError(`corrupt xz data: ${(error as Error).message}`, path, 'offset 0x0');
  }
}

interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly info: ModuleInfo;
}

/**
 * Reads many module files, reusing the cached ModuleInfo of files whose size and mtime did not
 * change. The cache is rewritten atomically.
 */
export async function readModuleFiles(
  paths: ReadonlyArray<string>,
  options: ReadModulesOptions = {},
): Promise<ModuleInfo[]> {
  const cache = options.cacheDir === undefined ? undefined : await loadCache(options.cacheDir);
  const next = new Map<string, CacheEntry>();
  const results: ModuleInfo[] = [];
  let changed = false;
  // one file at a time: reading an uncompressed module is synchronous work, and xz decoding is
  // CPU-bound on this thread either way
  for (const path of paths) {
    if (cache === undefined) {
      results.push(await readModuleFile(path));
      continue;
    }
    const info = statSync(path);
    const hit = cache.get(path);
    if (hit !== undefined && hit.size === info.size && hit.mtimeMs === info.mtimeMs) {
      results.push(hit.info);
      next.set(path, hit);
      continue;
    }
    const module = await readModuleFile(path);
    results.push(module);
    next.set(path, { size: info.size, mtimeMs: info.mtimeMs, info: module });
    changed = true;
  }
  if (options.cacheDir !== undefined && cache !== undefined && (changed || cache.size !== next.size)) {
    for (const [path, entry] of cache) if (!next.has(path)) next.set(path, entry);
    await saveCache(options.cacheDir, next);
  }
  return results;
}

async function loadCache(dir: string): Promise<Map<string, CacheEntry>> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, CACHE_FILE), 'utf8')) as {
      modules?: Record<string, CacheEntry>;
    };
    return new Map(Object.entries(parsed.modules ?? {}));
  } catch {
    // a missing or unreadable cache only costs a cold read
    return new Map();
  }
}

async function saveCache(dir: string, entries: ReadonlyMap<string, CacheEntry>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${CACHE_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify({ modules: Object.fromEntries(entries) }));
  await rename(tmp, join(dir, CACHE_FILE));
}
