import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../input/index.js';
import { type PatchManifest, patchManifestSchema } from '../../klp/index.js';
import {
  type LivepatchModule,
  manifestDifference,
  type ReadOptions,
  readLivepatchModule,
} from '../../livepatch-module/index.js';
import type { FileDisagreement, Repository } from '../../repo/index.js';
import { readFileBytes } from '../files.js';
import { readModuleBytes } from '../modules/index.js';
import { cachePath } from '../paths.js';

/** Reads a livepatch module file (.ko, .ko.gz, .ko.zst, .ko.xz): what `klpm inspect` shows. */
export async function readLivepatchModuleFile(
  path: string,
  options: ReadOptions = {},
): Promise<LivepatchModule> {
  return readLivepatchModule(await readModuleBytes(path), path, options);
}

/** The sha256 of a file, lower-case hex, as repository entries carry it. */
export async function fileSha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFileBytes(path))
    .digest('hex');
}

/**
 * The manifest in a module file, through a cache keyed by the file's sha256 (a file is hashed in
 * milliseconds, read in more), so `klpm status` over an index of old entries stays fast. A cache entry
 * that does not parse is read again from the file; a cache that cannot be written is only slower.
 */
export async function manifestOfFile(path: string, cacheDir: string | undefined): Promise<PatchManifest> {
  const sha256 = await fileSha256(path);
  const cached = cacheDir === undefined ? undefined : join(cacheDir, `${sha256}.json`);
  if (cached !== undefined) {
    try {
      const parsed = patchManifestSchema.safeParse(JSON.parse(readFileSync(cached, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // absent or unreadable: read the file
    }
  }
  const { manifest } = await readLivepatchModuleFile(path);
  if (cached !== undefined) {
    try {
      mkdirSync(cacheDir!, { recursive: true });
      writeFileSync(`${cached}.tmp`, `${JSON.stringify(manifest)}\n`);
      renameSync(`${cached}.tmp`, cached);
    } catch {
      // a read-only cache costs time, not correctness
    }
  }
  return manifest;
}

/**
 * The repository with each entry that names a `file` but has no manifest given the manifest read from
 * that file, and every entry whose manifest disagrees with its file listed in `fileDisagreements`.
 * A file that cannot be read as a livepatch leaves its entry as it was, with a warning: applying it
 * is refused later, when the file is verified.
 */
export async function withManifestsFromFiles(
  repository: Repository,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Repository> {
  const cacheDir = cachePath(env, 'manifests');
  const warnings: string[] = [];
  const disagreements: FileDisagreement[] = [];
  const updates = [];
  for (const update of repository.updates) {
    const livepatches = [];
    for (const lp of update.livepatches) {
      if (lp.file === undefined) {
        livepatches.push(lp);
        continue;
      }
      let fromFile: PatchManifest;
      try {
        fromFile = await manifestOfFile(lp.file, cacheDir);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        // a missing file is not news here: loading it is refused when the file is verified
        if (lp.manifest === undefined && existsSync(lp.file))
          warnings.push(`update ${update.id}: no manifest, and none read from the file: ${error.message}`);
        livepatches.push(lp);
        continue;
      }
      if (lp.manifest === undefined) {
        livepatches.push({ ...lp, manifest: { ...fromFile, replaceSet: lp.replaceSet } });
        continue;
      }
      const differences = manifestDifference(lp.manifest, fromFile);
      if (differences.length > 0)
        disagreements.push({ update: update.id, baseBuildId: lp.baseBuildId, file: lp.file, differences });
      livepatches.push(lp);
    }
    updates.push({ ...update, livepatches });
  }
  return {
    ...repository,
    updates,
    warnings: [...repository.warnings, ...warnings],
    fileDisagreements: disagreements,
  };
}

/** One line per disagreement, naming the update, the file and what differs. */
export function disagreementText(d: FileDisagreement): string {
  return `update ${d.update}: the manifest disagrees with ${d.file} (the file is what the kernel runs): ${d.differences.join('; ')}`;
}
