import type { Guidance, Livepatch, Repository, Update } from '../../src/repo/index.js';

/** A kernel livepatch from `base` build `baseBuildId` to version-release `to`. */
export function lp(baseBuildId: string, base: string, to: string, extra: Partial<Livepatch> = {}): Livepatch {
  return { component: 'kernel', baseBuildId, base, to, replaceSet: 0, ...extra };
}

/** An update with the given livepatches and guidance (recommended defaults to RebootHost, as kernel updates). */
export function update(
  id: string,
  issued: string,
  livepatches: Livepatch[],
  guidance: Partial<Record<'mandatory' | 'recommended' | 'full' | 'livepatch', Guidance[]>> = {},
): Update {
  return {
    id,
    issued,
    type: 'security',
    guidance: {
      mandatory: [],
      recommended: ['RebootHost'],
      full: ['RebootHost'],
      livepatch: [],
      ...guidance,
    },
    livepatches,
  };
}

export function repo(...updates: Update[]): Repository {
  return { source: 'test', updates, warnings: [] };
}
