import {
  type ApplicabilityStatus,
  type EvaluationTime,
  evaluateHost,
  livepatchesFor,
  type RepositoryIndex,
  replaceSetsFor,
} from '../repo/index.js';
import { worstStatus } from './host-status.js';
import type { SummaryHost } from './summary.js';

/** The newest livepatch a replace set publishes for a build. */
export interface NewestLivepatch {
  readonly replaceSet: number;
  readonly name: string | null;
  readonly to: string;
  readonly sha256: string | null;
  readonly update: string;
  readonly expires: string | null;
}

/** One build of `GET /v1/builds`. */
export interface BuildView {
  readonly buildId: string | null;
  readonly release: string | null;
  readonly hosts: number;
  /** the worst status of its hosts */
  readonly status: ApplicabilityStatus;
  /** the repository's status of the build itself (no livepatch applied), the worst replace set */
  readonly repositoryStatus: ApplicabilityStatus;
  /** per replace set publishing for the build, its newest livepatch */
  readonly newest: ReadonlyArray<NewestLivepatch>;
  /** the end-of-life horizon: the earliest date a replace set's coverage ends, or null */
  readonly expires: string | null;
  /** whether a replace set of it is end of life already */
  readonly eol: boolean;
}

/**
 * Per build the hosts run: how many, their worst status, the newest livepatch of each replace set
 * and the date its coverage ends (the end-of-life horizon), earliest horizon first, then most hosts.
 */
export function buildsOf(
  hosts: Iterable<SummaryHost>,
  index: RepositoryIndex,
  time: EvaluationTime,
): BuildView[] {
  const groups = new Map<
    string | null,
    { release: string | null; hosts: number; statuses: Set<ApplicabilityStatus> }
  >();
  for (const host of hosts) {
    const group = groups.get(host.buildId) ?? { release: host.release, hosts: 0, statuses: new Set() };
    groups.set(host.buildId, group);
    group.hosts += host.hosts ?? 1;
    group.statuses.add(host.status);
  }
  const views = [...groups].map(([buildId, g]): BuildView => {
    const sets = buildId === null ? [] : replaceSetsFor(index, 'kernel', buildId);
    const answers = sets.map((replaceSet) =>
      evaluateHost(index, { component: 'kernel', buildId: buildId ?? undefined, replaceSet }, time),
    );
    const newest = sets.flatMap((replaceSet): NewestLivepatch[] => {
      const top = livepatchesFor(index, 'kernel', replaceSet, buildId ?? '')[0];
      if (top === undefined) return [];
      return [
        {
          replaceSet,
          name: top.livepatch.name ?? null,
          to: top.livepatch.to,
          sha256: top.livepatch.sha256 ?? null,
          update: top.update.id,
          expires: top.livepatch.expires ?? null,
        },
      ];
    });
    const dates = answers.flatMap((a) => (a.expires === null ? [] : [a.expires])).sort();
    return {
      buildId,
      release: g.release,
      hosts: g.hosts,
      status: worstStatus([...g.statuses]),
      repositoryStatus:
        buildId === null
          ? 'unknown'
          : sets.length === 0
            ? 'unsupported'
            : worstStatus(answers.map((a) => a.status)),
      newest,
      expires: dates[0] ?? null,
      eol: answers.some((a) => a.eol),
    };
  });
  return views.sort(
    (a, b) =>
      (a.expires ?? '9999').localeCompare(b.expires ?? '9999') ||
      b.hosts - a.hosts ||
      String(a.buildId).localeCompare(String(b.buildId)),
  );
}
