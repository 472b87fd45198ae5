import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { decodeXzFiles } from './xz-batch.js';

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
  // loaded only when needed: most runs decode xz with the native xz (xz-batch.ts)
  const { default: xzDecompress } = await import('xz-decompress');
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
 * change. The cache is rewritten atomically. `.ko.xz` files are decoded by the native `xz` on every
 * core while this thread parses (decodeXzFiles); without `xz` they are decoded here one by one.
 */
export async function readModuleFiles(
  paths: ReadonlyArray<string>,
  options: ReadModulesOptions = {},
): Promise<ModuleInfo[]> {
  const cache = options.cacheDir === undefined ? undefined : await loadCache(options.cacheDir);
  const next = new Map<string, CacheEntry>();
  const results: Array<ModuleInfo | undefined> = new Array(paths.length);
  const errors = new Map<number, unknown>();
  const stats = new Map<string, { size: number; mtimeMs: number }>();
  const misses: number[] = [];
  paths.forEach((path, index) => {
    if (cache === undefined) {
      misses.push(index);
      return;
    }
    const info = statSync(path);
    const hit = cache.get(path);
    if (hit !== undefined && hit.size === info.size && hit.mtimeMs === info.mtimeMs) {
      results[index] = hit.info;
      next.set(path, hit);
    } else {
      stats.set(path, { size: info.size, mtimeMs: info.mtimeMs });
      misses.push(index);
    }
  });
  const indexOf = new Map(misses.map((index) => [paths[index]!, index]));
  const xzFiles = misses.map((index) => paths[index]!).filter((path) => path.endsWith('.xz'));
  const parsed = (path: string, bytes: Uint8Array) => {
    const index = indexOf.get(path)!;
    try {
      results[index] = readModule(bytes, path);
    } catch (error) {
      errors.set(index, error);
    }
  };
  // xz decodes in other processes while this thread reads the uncompressed files
  const decoding = xzFiles.length === 0 ? Promise.resolve([]) : decodeXzFiles(xzFiles, parsed);
  const batched = new Set(xzFiles);
  const readOne = async (path: string) => {
    const index = indexOf.get(path)!;
    try {
      results[index] = await readModuleFile(path);
    } catch (error) {
      errors.set(index, error);
    }
  };
  for (const index of misses) if (!batched.has(paths[index]!)) await readOne(paths[index]!);
  for (const path of await decoding) await readOne(path);
  // the first bad file in path order, as reading them one by one would have found
  if (errors.size > 0) throw errors.get(Math.min(...errors.keys()));
  for (const index of misses) {
    const path = paths[index]!;
    const stat = stats.get(path);
    if (stat !== undefined) next.set(path, { ...stat, info: results[index]! });
  }
  if (options.cacheDir !== undefined && cache !== undefined && (stats.size > 0 || cache.size !== next.size)) {
    for (const [path, entry] of cache) if (!next.has(path)) next.set(path, entry);
    await saveCache(options.cacheDir, next);
  }
  return results as ModuleInfo[];
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
