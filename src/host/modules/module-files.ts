import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compressionOf,
  decompressModule,
  type ElfFile,
  isModuleFile,
  type ModuleImports,
  type ModuleInfo,
  moduleRanges,
  parseElf,
  readModuleElf,
  readModuleImportsElf,
  sectionHeaderRange,
  sectionNamesRange,
} from '../../elf/index.js';
import { InputError } from '../../input/index.js';
import { cannotRead } from '../files.js';
import { walkFiles } from '../walk.js';
import { decodeXzFiles } from './xz-batch.js';

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
      const entries = walkFiles(path);
      for (const entry of entries)
        if (entry.isFile() && isModuleFile(entry.name)) found.add(join(entry.parentPath, entry.name));
    } else found.add(path);
  }
  return [...found].sort();
}

/** Reads one module file, compressed or not, into ModuleInfo. */
export const readModuleFile = (path: string): Promise<ModuleInfo> => readModuleFileWith(path, readModuleElf);

/** Reads what `depmod -e` looks at of one module file (readModuleImportsElf), compressed or not. */
export const readModuleImportsFile = (path: string): Promise<ModuleImports> =>
  readModuleFileWith(path, readModuleImportsElf);

async function readModuleFileWith<T>(path: string, read: (elf: ElfFile) => T): Promise<T> {
  try {
    const sparse = readUncompressedSparse(path, read);
    if (sparse !== undefined) return sparse.value;
    const bytes = await readFile(path);
    return read(parseElf(await uncompress(bytes, path), path));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw cannotRead(error, path);
  }
}

/**
 * One buffer for every sparse read, grown to the largest file seen, and all zeros between reads: a
 * fresh zero-filled buffer per module (397 MB over Debian's 6.1 tree) cost more in allocation,
 * zeroing and garbage collection than the parsing, and zeroing afterwards only the parts that were
 * read is a tenth of that.
 */
let scratch = new Uint8Array(1 << 20);

/**
 * Most modules are smaller than this (71% of Debian 6.1's): read whole in the first read. System
 * calls, not bytes, are what reading 4,000 modules costs.
 */
const HEAD = 64 * 1024;
/** Ranges closer than this are read in one call. */
const MERGE_GAP = 16 * 1024;

/**
 * Reads an uncompressed module reading only the parts readModule looks at, as depmod only touches
 * the pages of its mmap it needs: most of a large module is code and relocations. The rest reads as
 * zeros, so a corrupt file reads the same as when read whole and zero-filled, never another file's
 * bytes. Undefined for a compressed file, which must be read whole.
 */
function readUncompressedSparse<T>(path: string, read: (elf: ElfFile) => T): { value: T } | undefined {
  const fd = openSync(path, 'r');
  let filledUpTo = 0;
  const filled: Array<{ offset: number; end: number }> = [];
  let bytes = scratch;
  try {
    const head = readSync(fd, scratch, 0, HEAD, 0);
    filledUpTo = head;
    const size = head < HEAD ? head : fstatSync(fd).size;
    if (scratch.length < size) {
      const grown = new Uint8Array(2 ** Math.ceil(Math.log2(size)));
      grown.set(scratch.subarray(0, head));
      scratch.fill(0, 0, head);
      scratch = grown;
    }
    bytes = scratch.subarray(0, size);
    if (compressionOf(bytes) !== 'none') return undefined;
    const fill = (offset: number, length: number) => {
      const start = Math.max(offset, head);
      const end = Math.min(size, offset + length);
      if (start >= end) return;
      filled.push({ offset: start, end });
      for (let at = start; at < end; ) {
        const n = readSync(fd, bytes, at, end - at, at);
        if (n === 0) break;
        at += n;
      }
    };
    const table = sectionHeaderRange(bytes);
    if (table === undefined) fill(0, size);
    else {
      fill(table.offset, table.length);
      const names = sectionNamesRange(bytes);
      if (names !== undefined) fill(names.offset, names.length);
    }
    const elf = parseElf(bytes, path);
    if (table !== undefined && size > head)
      for (const range of merged(moduleRanges(elf))) fill(range.offset, range.length);
    return { value: read(elf) };
  } finally {
    closeSync(fd);
    bytes.fill(0, 0, filledUpTo);
    for (const range of filled) bytes.fill(0, range.offset, range.end);
  }
}

function merged(
  ranges: ReadonlyArray<{ offset: number; length: number }>,
): Array<{ offset: number; length: number }> {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  const out: Array<{ offset: number; length: number }> = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && range.offset <= last.offset + last.length + MERGE_GAP)
      last.length = Math.max(last.length, range.offset + range.length - last.offset);
    else out.push({ ...range });
  }
  return out;
}

/**
 * No maintained xz decoder for Node 20 is synchronous and pure (`@napi-rs/lzma` needs Node 22), so
 * `.ko.xz` is decoded here by xz-decompress (a C decoder compiled to WebAssembly, a stream API);
 * gzip and zstd are decoded in memory by src/elf.
 */
/** A module file's ELF bytes, decompressed (gz, zst, xz) when it is compressed. */
export async function readModuleBytes(path: string): Promise<Uint8Array> {
  try {
    return await uncompress(await readFile(path), path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw cannotRead(error, path);
  }
}

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

/** Reads many module files with `read` (ModuleInfo by default), in path order (see eachModuleFile). */
export async function readModuleFiles<T>(
  paths: ReadonlyArray<string>,
  read: (elf: ElfFile) => T,
): Promise<T[]>;
export async function readModuleFiles(paths: ReadonlyArray<string>): Promise<ModuleInfo[]>;
export async function readModuleFiles<T>(
  paths: ReadonlyArray<string>,
  read: (elf: ElfFile) => T = readModuleElf as (elf: ElfFile) => T,
): Promise<T[]> {
  const results: T[] = new Array(paths.length);
  await eachModuleFile(paths, read, (index, value) => {
    results[index] = value;
  });
  return results;
}

/**
 * Reads many module files with `read` and hands each result to `visit` with the file's index, in
 * no fixed order, holding none of them: `.ko.xz` files are decoded by the native `xz` on every core
 * while this thread reads the others (decodeXzFiles); without `xz` they are decoded here one by
 * one. After every readable file was visited, the first bad file in path order throws, as reading
 * them one by one would.
 */
export async function eachModuleFile<T>(
  paths: ReadonlyArray<string>,
  read: (elf: ElfFile) => T,
  visit: (index: number, value: T) => void,
): Promise<void> {
  const errors = new Map<number, unknown>();
  const indexOf = new Map(paths.map((path, index) => [path, index]));
  const xzFiles = paths.filter((path) => path.endsWith('.xz'));
  // xz decodes in other processes while this thread reads the uncompressed files
  const decoding =
    xzFiles.length === 0
      ? Promise.resolve([])
      : decodeXzFiles(xzFiles, (path, bytes) => {
          const index = indexOf.get(path)!;
          let value: T;
          try {
            value = read(parseElf(bytes, path));
          } catch (error) {
            errors.set(index, error);
            return;
          }
          visit(index, value);
        });
  const readOne = async (index: number) => {
    let value: T;
    try {
      value = await readModuleFileWith(paths[index]!, read);
    } catch (error) {
      errors.set(index, error);
      return;
    }
    visit(index, value);
  };
  for (const [index, path] of paths.entries()) if (!path.endsWith('.xz')) await readOne(index);
  for (const path of await decoding) await readOne(indexOf.get(path)!);
  if (errors.size > 0) throw errors.get(Math.min(...errors.keys()));
}
