import { compareVersionRelease, parseVersionRelease } from '../version/index.js';
import type { Repository } from './types.js';

/**
 * A livepatch whose `to` sorts before its `base` (rpm order) patches a kernel up to an older version
 * than it was built on: almost surely a typo in the repository. klpm still reads it, and says so.
 */
export function orderWarnings(repository: Repository): string[] {
  const warnings: string[] = [];
  for (const update of repository.updates)
    for (const livepatch of update.livepatches) {
      const to = parseVersionRelease(livepatch.to);
      const base = parseVersionRelease(livepatch.base);
      if (to !== undefined && base !== undefined && compareVersionRelease(to, base) < 0)
        warnings.push(
          `update '${update.id}': livepatch to ${livepatch.to} is older than its base ${livepatch.base}`,
        );
    }
  return warnings;
}
