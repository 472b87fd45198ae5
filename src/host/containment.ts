import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { InputError } from '../input/index.js';

/**
 * The one check that a path klpm is about to write or read stays inside its root (the KMP store,
 * a repository's directory, --root): strictly below it both as written and after following
 * symlinks, since mirrors and stores may be symlinks (docs/cli.md, "Names and paths").
 */

/** Whether `path` lies strictly below `root`, comparing the resolved strings (no symlink followed). */
export function isBelow(root: string, path: string): boolean {
  const top = resolve(root);
  const under = resolve(path);
  return under !== top && under.startsWith(top.endsWith(sep) ? top : top + sep);
}

/**
 * The real path of `path`, which may not exist yet: its deepest existing ancestor's real path with
 * the rest appended. Undefined when it cannot be resolved (a symlink loop, a permission error).
 */
async function realPathOf(path: string): Promise<string | undefined> {
  let head = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(await realpath(head), ...tail);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
      const parent = dirname(head);
      if (parent === head) return undefined;
      tail.unshift(basename(head));
      head = parent;
    }
  }
}

/** Whether `path` stays strictly below `root`, as written and as the file system resolves both. */
export async function staysInside(root: string, path: string): Promise<boolean> {
  if (!isBelow(root, path)) return false;
  const [realRoot, realPath] = await Promise.all([realPathOf(root), realPathOf(path)]);
  return realRoot !== undefined && realPath !== undefined && isBelow(realRoot, realPath);
}

/**
 * Refuses, with bad input at `source` and `field`, a path that leaves `root`; returns it resolved.
 * `what` names the root in the message ("the KMP store", "the repository directory").
 */
export async function mustStayInside(
  root: string,
  path: string,
  what: string,
  source: string,
  field?: string,
): Promise<string> {
  if (!(await staysInside(root, path)))
    throw new InputError(`expected a path inside ${what} ${resolve(root)}, not ${path}`, source, field);
  return resolve(path);
}
