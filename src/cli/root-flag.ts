import { statSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/**
 * `--root`, checked once for every command that takes it (cli/main.ts); apart from
 * flags.ts, whose imports every command would then load at start-up: a root that does not exist
 * or is not a directory would read as an empty machine and look like success.
 */
export function checkRootFlag(root: string): void {
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--root '${root}': ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : `cannot be read (${code})`}`,
    );
  }
  if (!info.isDirectory()) throw new UsageError(`--root '${root}' is not a directory`);
}
