import { InputError } from '../input/index.js';

/** What a reader could not read, for the operator (and an agent) to act on. */
export interface ReadProblem {
  readonly path: string;
  readonly problem: string;
}

/** What an errno means for someone looking at the path, in a few words. */
export function errnoWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, expected a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'a symlink loop';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}

/** The problem an error reading `path` is: a located error's own words, else the errno's. */
export function problemOf(error: unknown, path: string): ReadProblem {
  if (error instanceof InputError)
    return { path, problem: [error.location, error.detail].filter(Boolean).join(': ') };
  return { path, problem: errnoWords(error) };
}

/**
 * A change command's refusal when something it needs could not be read: bad input (exit 2) naming
 * the first path and why, and how many more there are. Nothing has been touched yet.
 */
export function refuseOnProblems(problems: ReadonlyArray<ReadProblem>, what: string): void {
  const [first] = problems;
  if (first === undefined) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s): see klpm ${what})` : '';
  throw new InputError(`could not read it: ${first.problem}; nothing was changed${more}`, first.path);
}
