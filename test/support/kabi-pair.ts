import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where .ci/fetch-kernels.sh writes the paths of the Debian kernel trees it extracted. */
export const kabiPairFile = join(
  process.env.KLPM_CACHE ?? join(process.env.HOME ?? '/nonexistent', '.cache', 'klpm'),
  'kabi',
  'pair.env',
);

/** The KEY=path lines of pair.env, or undefined when the trees were never fetched. */
export function readKabiPair(): Record<string, string> | undefined {
  if (!existsSync(kabiPairFile)) return undefined;
  return Object.fromEntries(
    readFileSync(kabiPairFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
