import { observeHost } from '../../plan/index.js';
import { livepatchesFor, type RepositoryIndex } from '../../repo/index.js';
import { compareVersionRelease, parseVersionRelease } from '../../version/index.js';
import { viewOfStatus } from '../host-status.js';
import type { StatusDocument } from '../report.js';

/** The component the planner plans livepatches of: a rollout of any other names no host's livepatch. */
export type RolloutComponent = string;

/**
 * RO-SCOPE: a host is in a rollout's scope when the repository publishes a livepatch at `to` for
 * its build in the component and replace set; the others are listed as out of scope.
 */
export function inScope(
  index: RepositoryIndex,
  target: { readonly component: string; readonly replaceSet: number; readonly to: string },
  buildId: string | null,
): boolean {
  if (buildId === null || target.component !== 'kernel') return false;
  return livepatchesFor(index, 'kernel', target.replaceSet, buildId).some(
    (e) => e.livepatch.to === target.to,
  );
}

/**
 * The version the host runs in a replace set, as the repository names it (`to`), or null when
 * nothing the repository knows is loaded there.
 */
export function runningVersion(
  status: StatusDocument,
  buildId: string | null,
  index: RepositoryIndex,
  replaceSet: number,
): string | null {
  if (buildId === null) return null;
  const { state } = observeHost(viewOfStatus(status), index, buildId.toLowerCase());
  const loaded = state.patches.find(
    (p) => p.manifest.replaceSet === replaceSet && p.enabled && !p.transition,
  );
  return loaded?.to ?? null;
}

/** The version an update names for a component and replace set (`update` instead of `to`). */
export function versionOfUpdate(
  index: RepositoryIndex,
  update: string,
  component: string,
  replaceSet: number,
): string | undefined {
  const found = index.updates
    .get(update)
    ?.livepatches.filter((lp) => lp.component === component && lp.replaceSet === replaceSet)
    .map((lp) => lp.to);
  if (found === undefined || found.length === 0) return undefined;
  return found.sort((a, b) => compareVersionRelease(parseVersionRelease(b)!, parseVersionRelease(a)!))[0];
}
