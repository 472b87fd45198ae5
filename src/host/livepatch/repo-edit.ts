import { copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../../input/index.js';
import { addLivepatchToIndex, type NewLivepatch, parseModuleMap } from '../../repo/index.js';
import { staysInside } from '../containment.js';
import { readFileText } from '../files.js';
import { listModuleFiles } from '../modules/index.js';
import { fileSha256, readLivepatchModuleFile } from './patch-module.js';

/** What `klpm repo add` is told beyond the file: what the file cannot say itself. */
export interface RepoAddOptions {
  readonly index: string;
  readonly file: string;
  readonly component: 'kernel' | 'xen';
  readonly baseBuildId: string;
  readonly base: string;
  readonly to: string;
  readonly replaceSet: number;
  readonly update?: string | undefined;
  readonly issued: string;
  readonly expires?: string | undefined;
}

export interface RepoAddResult {
  readonly index: string;
  /** the file as the index names it, relative to the index's directory */
  readonly file: string;
  /** the file was copied into the index's directory */
  readonly copied: boolean;
  readonly entry: NewLivepatch;
  readonly update: string;
}

/**
 * Adds one livepatch module to klpm's JSON index (creating the index when there is none): its sha256
 * and manifest come from the file. A file outside the index's directory is copied there first (never
 * over another file of that name); the index is written whole to a temporary file and renamed.
 */
export async function addModuleToIndex(opts: RepoAddOptions): Promise<RepoAddResult> {
  const indexPath = resolve(opts.index);
  const dir = dirname(indexPath);
  const source = resolve(opts.file);
  const module = await readLivepatchModuleFile(source);
  const sha256 = await fileSha256(source);
  let placed = source;
  let copied = false;
  if (!(await staysInside(dir, source))) {
    placed = join(dir, basename(source));
    if (existsSync(placed)) {
      if ((await fileSha256(placed)) !== sha256)
        throw new InputError(
          `${placed} already exists and is another file: not copying ${source} over it`,
          opts.file,
        );
    } else {
      mkdirSync(dir, { recursive: true });
      copyFileSync(source, `${placed}.klpm-new`);
      renameSync(`${placed}.klpm-new`, placed);
      copied = true;
    }
  }
  const entry: NewLivepatch = {
    component: opts.component,
    baseBuildId: opts.baseBuildId,
    base: opts.base,
    to: opts.to,
    replaceSet: opts.replaceSet,
    name: module.manifest.name,
    file: relative(dir, placed),
    sha256,
    expires: opts.expires,
    manifest: module.manifest,
  };
  const text = existsSync(indexPath) ? await readFileText(indexPath) : undefined;
  const out = addLivepatchToIndex(text, opts.index, entry, { id: opts.update, issued: opts.issued });
  writeAtomically(indexPath, out);
  return {
    index: indexPath,
    file: entry.file,
    copied,
    entry,
    update: opts.update ?? `${entry.name}-${entry.to}`,
  };
}

/** The mapping file `klpm repo build DIR` reads when given no --map. */
export const MODULE_MAP = 'klpm-modules.json';

/**
 * Writes DIR/index.json for the module files under DIR, with what DIR/klpm-modules.json (or `map`)
 * says of each. Every module file must be in the map and every map entry must be a file: a module
 * nobody described, or a description of nothing, is an error, never a silent skip.
 */
export async function buildIndexFromDirectory(
  dir: string,
  map: string | undefined,
  issued: string,
): Promise<{ index: string; entries: NewLivepatch[] }> {
  const root = resolve(dir);
  const mapPath = map ?? join(root, MODULE_MAP);
  const described = parseModuleMap(await readFileText(mapPath), mapPath);
  const files = new Set((await listModuleFiles([root])).map((f) => relative(root, f)));
  for (const entry of described)
    if (!files.has(entry.file))
      throw new InputError(
        `module '${entry.file}' is in the map but not a module file under ${root}`,
        mapPath,
      );
  const known = new Set(described.map((e) => e.file));
  for (const file of files)
    if (!known.has(file))
      throw new InputError(
        `module file '${file}' has no entry in the map: add one (docs/repository.md)`,
        mapPath,
      );
  const indexPath = join(root, 'index.json');
  let text: string | undefined;
  const entries: NewLivepatch[] = [];
  for (const d of described) {
    const path = join(root, d.file);
    const module = await readLivepatchModuleFile(path);
    const replaceSet = d.replaceSet ?? 0;
    const entry: NewLivepatch = {
      component: d.component ?? 'kernel',
      baseBuildId: d.baseBuildId!,
      base: d.base!,
      to: d.to!,
      replaceSet,
      name: module.manifest.name,
      file: d.file,
      sha256: await fileSha256(path),
      expires: d.expires,
      manifest: module.manifest,
    };
    text = addLivepatchToIndex(text, indexPath, entry, { id: d.update, issued: d.issued ?? issued });
    entries.push(entry);
  }
  writeAtomically(indexPath, text ?? addEmpty());
  return { index: indexPath, entries };
}

const addEmpty = () =>
  `${JSON.stringify({ format: 'klpm-repository-index', version: 1, updates: [] }, null, 2)}\n`;

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.klpm-new`, text);
  renameSync(`${path}.klpm-new`, path);
}
