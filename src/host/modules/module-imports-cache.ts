import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModuleImports } from '../../elf/index.js';
import { decodeImports, type EncodedImports, ImportsEncoder, isEncodedImports } from '../../elf/index.js';
import { errnoWords } from '../read-problem.js';

// v1 held every version and undefined symbol; v2 holds what the check compares
const CACHE_FILE = 'module-imports-v2.json';

/** What identifies a file's content well enough to trust what was read from it earlier. */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** One cached file: path, size, mtimeMs and inode, then the module's EncodedImports. */
type Entry = [string, number, number, number, ...EncodedImports];

interface CacheFile {
  readonly strings: string[];
  readonly files: Entry[];
}

/**
 * What `kmp check` read of module files in earlier runs, one JSON file in a directory, keyed by
 * path and trusted while the file's size, mtime and inode are unchanged. Several trees share it.
 */
export class ModuleImportsCache {
  private constructor(
    private readonly dir: string,
    private readonly strings: ReadonlyArray<string>,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {}

  /**
   * A missing cache is an empty one; so is an unreadable one (it only costs a cold read), with a
   * one-line `warn` naming it.
   */
  static async load(dir: string, warn: (text: string) => void = () => {}): Promise<ModuleImportsCache> {
    const path = join(dir, CACHE_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        warn(`cannot read the cache ${path} (${errnoWords(error)}): reading every module file`);
      return new ModuleImportsCache(dir, [], new Map());
    }
    try {
      const parsed = JSON.parse(text) as CacheFile;
      if (
        !Array.isArray(parsed.strings) ||
        !Array.isArray(parsed.files) ||
        !parsed.files.every((entry) => Array.isArray(entry) && isEncodedImports(entry.slice(4)))
      )
        throw new Error('not a cache');
      return new ModuleImportsCache(
        dir,
        parsed.strings,
        new Map(parsed.files.map((entry) => [entry[0], entry])),
      );
    } catch {
      warn(`the cache ${path} is not one klpm wrote: reading every module file`);
      return new ModuleImportsCache(dir, [], new Map());
    }
  }

  /** What was read earlier from `path`, when the file is unchanged. */
  get(path: string, stat: FileStat): ModuleImports | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined || entry[1] !== stat.size || entry[2] !== stat.mtimeMs || entry[3] !== stat.ino)
      return undefined;
    return decodeEntry(entry, this.strings);
  }

  /** Rewrites the cache atomically with `fresh` (just read), keeping every other file's entry. */
  async save(
    fresh: ReadonlyArray<{ readonly stat: FileStat; readonly module: ModuleImports }>,
  ): Promise<void> {
    const encoder = new ImportsEncoder();
    const files = new Map<string, Entry>();
    for (const { stat, module } of fresh)
      files.set(module.path, [module.path, stat.size, stat.mtimeMs, stat.ino, ...encoder.encode(module)]);
    // entries kept point into the old string table: re-encode them
    for (const [path, entry] of this.entries)
      if (!files.has(path))
        files.set(path, [
          path,
          entry[1],
          entry[2],
          entry[3],
          ...encoder.encode(decodeEntry(entry, this.strings)),
        ]);
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `${CACHE_FILE}.${process.pid}.tmp`);
    await writeFile(
      tmp,
      JSON.stringify({ strings: encoder.strings, files: [...files.values()] } satisfies CacheFile),
    );
    await rename(tmp, join(this.dir, CACHE_FILE));
  }
}

const decodeEntry = (entry: Entry, strings: ReadonlyArray<string>) =>
  decodeImports(entry[0], entry.slice(4) as EncodedImports, strings);
