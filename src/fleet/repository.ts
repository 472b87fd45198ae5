import type { Livepatch, Repository, RepositoryIndex, Update } from '../repo/index.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** Whether `text` is a sha256 as the API names files: 64 lower-case hex digits. */
export const isSha256 = (text: string): boolean => SHA256.test(text);

/**
 * The files the repository lists, by sha256: the only files `GET /v1/files/{sha256}` serves. A
 * livepatch without a file or a sha256 serves nothing; a path never comes from a request.
 */
export function repositoryFiles(repository: Repository): ReadonlyMap<string, string> {
  const files = new Map<string, string>();
  for (const update of repository.updates)
    for (const lp of update.livepatches)
      if (lp.file !== undefined && lp.sha256 !== undefined && isSha256(lp.sha256.toLowerCase()))
        files.set(lp.sha256.toLowerCase(), lp.file);
  return files;
}

/** A livepatch as the plan offers it: the repository's entry without the server's file path. */
export type OfferedLivepatch = Omit<Livepatch, 'file'>;

/**
 * The part of the repository a host's plan is made from, in the repository's order, as klpm's JSON
 * repository index (docs/repository.md), so an agent reads it with the same parser (docs/fleet.md).
 */
export interface OfferedRepository {
  readonly format: 'klpm-repository-index';
  readonly version: 1;
  readonly updates: ReadonlyArray<Omit<Update, 'livepatches'> & { livepatches: OfferedLivepatch[] }>;
}

/**
 * What a host running `buildId` needs of the repository to plan as the server did: in every
 * component and replace set that publishes for the build, the build's livepatches and one of the
 * newest (which decides whether the build is still supported). File paths are left out.
 */
export function offeredRepository(index: RepositoryIndex, buildId: string | null): OfferedRepository {
  if (buildId === null) return { format: 'klpm-repository-index', version: 1, updates: [] };
  const id = buildId.toLowerCase();
  const chosen = new Set<Livepatch>();
  for (const group of index.groups.values()) {
    const own = group.byBase.get(id);
    if (own === undefined) continue;
    for (const entry of own) chosen.add(entry.livepatch);
    let newest: Livepatch | undefined;
    for (const list of group.byBase.values())
      for (const entry of list)
        if (entry.livepatch.to === group.newestToText && newest === undefined) newest = entry.livepatch;
    if (newest !== undefined) chosen.add(newest);
  }
  const updates: Array<OfferedRepository['updates'][number]> = [];
  for (const update of index.updates.values()) {
    const livepatches = update.livepatches
      .filter((lp) => chosen.has(lp))
      .map(({ file: _file, ...rest }) => rest);
    if (livepatches.length > 0) updates.push({ ...update, livepatches });
  }
  return { format: 'klpm-repository-index', version: 1, updates };
}

/**
 * The repository an agent plans with: the offered part as it read it, with the files it fetched (by
 * sha256); an entry whose file it did not fetch has none.
 */
export function withFetchedFiles(offered: Repository, files: ReadonlyMap<string, string>): Repository {
  return {
    ...offered,
    updates: offered.updates.map((update) => ({
      ...update,
      livepatches: update.livepatches.map((lp) => {
        const file = lp.sha256 === undefined ? undefined : files.get(lp.sha256.toLowerCase());
        return file === undefined ? lp : { ...lp, file };
      }),
    })),
  };
}
