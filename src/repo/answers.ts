import {
  type Applicability,
  type EvaluationTime,
  evaluateHost,
  type RepositoryIndex,
  replaceSetsFor,
} from './applicability.js';
import type { Component } from './types.js';

/** One replace set's answer, as `klpm status --json` lists them under `repository.answers`. */
export interface SetAnswer {
  readonly replaceSet: number;
  readonly answer: Applicability;
}

/** What a host runs in one component: the applied livepatch of each replace set, by set number. */
export interface HostSets {
  readonly component: Component;
  readonly buildId: string | undefined;
  /**
   * version-release applied now: per replace set (keys are set numbers), or one version for the
   * narrowed set, else for the first set answered (the build's only one, in the usual case)
   */
  readonly applied?: string | Readonly<Record<string, string>> | undefined;
  /** answer for this set alone; undefined: every set the repository publishes for the build */
  readonly replaceSet?: number | undefined;
}

/**
 * The answer for each replace set the repository publishes for the host's build, in ascending order
 * (set 0 alone when it publishes none, so an unsupported build still gets its one answer); a set that
 * only other builds have is not this build's business. `replaceSet` narrows the answer to that set.
 */
export function answersForHost(index: RepositoryIndex, host: HostSets, time: EvaluationTime): SetAnswer[] {
  const published = host.buildId === undefined ? [] : replaceSetsFor(index, host.component, host.buildId);
  const sets = host.replaceSet !== undefined ? [host.replaceSet] : published.length === 0 ? [0] : published;
  const applied = (replaceSet: number): string | undefined =>
    typeof host.applied === 'string'
      ? replaceSet === sets[0]
        ? host.applied
        : undefined
      : host.applied?.[String(replaceSet)];
  return sets.map((replaceSet) => ({
    replaceSet,
    answer: evaluateHost(
      index,
      {
        component: host.component,
        buildId: host.buildId,
        applied: applied(replaceSet),
        replaceSet,
      },
      time,
    ),
  }));
}
