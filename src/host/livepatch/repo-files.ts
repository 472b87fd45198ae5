import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../../input/index.js';
import {
  decodeXmlBytes,
  orderWarnings,
  parseRepositoryIndex,
  parseUpdateinfo,
  type Repository,
  updateinfoLocation,
} from '../../repo/index.js';
import { mustStayInside } from '../containment.js';
import { readFileBytes } from '../files.js';
import { statePath } from '../paths.js';
import { problemOf, type ReadProblem } from '../read-problem.js';
import { withManifestsFromFiles } from './patch-module.js';

/**
 * Loads a repository from what `--repo` names: a yum repository root (holding repodata/), a
 * directory holding klpm's index.json (when it has no repodata/), its repomd.xml, an updateinfo.xml or .xml.gz, or klpm's JSON
 * index (*.json). A livepatch's relative `file` is made absolute: relative to the directory of the
 * JSON index, or to the yum repository's root, and must stay inside it (as written and after
 * symlinks); so must the updateinfo a repomd.xml points to. An entry with a file and no manifest gets
 * the manifest read from the file; one whose manifest disagrees with its file is listed in
 * `fileDisagreements` (withManifestsFromFiles).
 */
export async function loadRepository(path: string): Promise<Repository> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new InputError('no such file or directory', path);
  if (info.isDirectory()) {
    const repomd = join(path, 'repodata', 'repomd.xml');
    const index = join(path, 'index.json');
    const useIndex = !(await exists(repomd)) && (await exists(index));
    return loadRepository(useIndex ? index : repomd);
  }
  const bytes = await readFileBytes(path);
  if (path.endsWith('.json'))
    return withAbsoluteFiles(parseRepositoryIndex(bytes.toString('utf8'), path), dirname(resolve(path)));
  const text = decodeXmlBytes(bytes, path);
  if (basename(path) === 'repomd.xml' || /<repomd[\s>]/.test(text.slice(0, 4096))) {
    // hrefs in repomd.xml are relative to the repository root, the parent of repodata/
    const root = dirname(dirname(resolve(path)));
    const location = await mustStayInside(
      root,
      join(root, updateinfoLocation(text, path)),
      'the repository directory',
      path,
      '<data type="updateinfo"> <location href>',
    );
    const updateinfo = await readFileBytes(location);
    return withAbsoluteFiles(parseUpdateinfo(decodeXmlBytes(updateinfo, location), location), root);
  }
  return withAbsoluteFiles(parseUpdateinfo(text, path), dirname(resolve(path)));
}

/** The repository with its files resolved against `base` (contained), and the warnings every format shares. */
async function withAbsoluteFiles(repository: Repository, base: string): Promise<Repository> {
  // entries without a file stay as they are: an index of 20,000 entries costs no promise for them
  const updates = await Promise.all(
    repository.updates.map(async (update, i) =>
      update.livepatches.every((lp) => lp.file === undefined)
        ? update
        : {
            ...update,
            livepatches: await Promise.all(
              update.livepatches.map(async (lp, j) =>
                lp.file === undefined
                  ? lp
                  : {
                      ...lp,
                      file: await mustStayInside(
                        base,
                        join(base, lp.file),
                        'the repository directory',
                        repository.source,
                        `updates[${i}].livepatches[${j}].file`,
                      ),
                    },
              ),
            ),
          },
    ),
  );
  return withManifestsFromFiles({
    ...repository,
    directory: base,
    warnings: [...repository.warnings, ...orderWarnings(repository)],
    updates,
  });
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * The repository a request is planned with: `--repo`, else `<root>/var/lib/klpm/repo` when it is
 * there. A request that needs none (P-NEEDS: an unload) does without when neither is given; the
 * others get the located error of the missing default.
 */
export async function readRepositoryFor(
  root: string,
  repo: string | undefined,
  needed: boolean,
): Promise<Repository | undefined> {
  if (repo !== undefined) return loadRepository(repo);
  const place = statePath(root, 'repository');
  if (!needed && !(await exists(place))) return undefined;
  return loadRepository(place);
}

/**
 * The repository `klpm status` asks: `--repo` (bad input when it cannot be read), else the default
 * place when it is there. A default repository that cannot be read is a problem status names while
 * it shows the rest: status is what an operator runs to find out what is wrong.
 */
export async function readStatusRepository(
  root: string,
  repo: string | undefined,
): Promise<{ readonly repository?: Repository; readonly problem?: ReadProblem }> {
  if (repo !== undefined) return { repository: await loadRepository(repo) };
  const place = statePath(root, 'repository');
  if (!(await exists(place))) return {};
  try {
    return { repository: await loadRepository(place) };
  } catch (error) {
    return { problem: problemOf(error, place) };
  }
}
