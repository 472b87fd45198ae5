import { lstatSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { statePath, type statePaths } from './paths.js';
import { errnoWords, type ReadProblem } from './read-problem.js';

/**
 * What stands in the way of klpm's own places under `root` before a change writes them: each
 * directory on the way must be a directory (or absent, to be created), each place a regular file
 * (or absent). A file where a directory should be, a symlink loop, a directory where the file
 * should be: one problem each, so the change can refuse before it touches anything.
 */
export function placeProblems(root: string, places: ReadonlyArray<keyof typeof statePaths>): ReadProblem[] {
  const problems = new Map<string, string>();
  for (const place of places) {
    const path = statePath(root, place);
    const parts = relative(root, dirname(path)).split(sep);
    let dir = root;
    let blocked = false;
    for (const part of parts) {
      dir = join(dir, part);
      const kind = kindOf(dir);
      if (kind === 'absent') break;
      if (kind !== 'directory') {
        problems.set(dir, kind === 'file' ? 'a file where klpm keeps a directory' : kind);
        blocked = true;
        break;
      }
    }
    if (blocked) continue;
    const kind = kindOf(path);
    if (kind !== 'absent' && kind !== 'file')
      problems.set(path, kind === 'directory' ? 'is a directory, expected a file' : kind);
  }
  return [...problems].map(([path, problem]) => ({ path, problem }));
}

/** What a path is, following symlinks; an unreadable one is the errno in words. */
function kindOf(path: string): 'absent' | 'file' | 'directory' | string {
  try {
    lstatSync(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : errnoWords(error);
  }
  try {
    const info = statSync(path);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'neither a file nor a directory';
  } catch (error) {
    return errnoWords(error);
  }
}
