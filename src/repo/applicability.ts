import { compareVersionRelease, parseVersionRelease, type VersionRelease } from '../version/index.js';
import { mergeGuidance, type PrunedGuidance } from './guidance.js';
import { issuedTime } from './livepatch.js';
import type { Component, Livepatch, Repository, Update } from './types.js';

/** A livepatch with its update and what ordering needs, computed once when the index is built. */
interface Entry {
  readonly livepatch: Livepatch;
  readonly update: Update;
  readonly to: VersionRelease;
}

/** Everything one component and replace set publishes, ready for O(1) lookups per host. */
interface Group {
  readonly newestTo: VersionRelease;
  /** the newest `to` as published, for messages */
  readonly newestToText: string;
  /** bases listed by a livepatch with the newest `to`: the supported ones */
  readonly supported: ReadonlySet<string>;
  /** per base build, its livepatches newest first */
  readonly byBase: ReadonlyMap<string, ReadonlyArray<Entry>>;
}

/** A repository indexed once by component, replace set and base build ID. */
export interface RepositoryIndex {
  readonly groups: ReadonlyMap<string, Group>;
  readonly updates: ReadonlyMap<string, Update>;
}

const groupKey = (component: Component, replaceSet: number) => `${component}/${replaceSet}`;

/** Builds the lookup tables; evaluating a host afterwards touches only the livepatches of its base. */
export function indexRepository(repository: Repository): RepositoryIndex {
  const entries = new Map<string, Array<Entry & { position: number; time: number }>>();
  repository.updates.forEach((update, position) => {
    const time = issuedTime(update.issued) ?? Number.NEGATIVE_INFINITY;
    for (const livepatch of update.livepatches) {
      const key = groupKey(livepatch.component, livepatch.replaceSet);
      const list = entries.get(key) ?? [];
      entries.set(key, list);
      list.push({ livepatch, update, to: parseVersionRelease(livepatch.to)!, position, time });
    }
  });
  const groups = new Map<string, Group>();
  for (const [key, list] of entries) {
    // newest `to` first; the same `to` from two updates: the later update (date, then position) first
    list.sort((a, b) => compareVersionRelease(b.to, a.to) || b.time - a.time || b.position - a.position);
    const newestTo = list[0]!.to;
    const supported = new Set<string>();
    const byBase = new Map<string, Entry[]>();
    for (const entry of list) {
      if (compareVersionRelease(entry.to, newestTo) === 0) supported.add(entry.livepatch.baseBuildId);
      const forBase = byBase.get(entry.livepatch.baseBuildId) ?? [];
      byBase.set(entry.livepatch.baseBuildId, forBase);
      forBase.push({ livepatch: entry.livepatch, update: entry.update, to: entry.to });
    }
    groups.set(key, { newestTo, newestToText: list[0]!.livepatch.to, supported, byBase });
  }
  return { groups, updates: new Map(repository.updates.map((u) => [u.id, u])) };
}

/** The livepatches published for one base build in one replace set, newest `to` first. */
export function livepatchesFor(
  index: RepositoryIndex,
  component: Component,
  replaceSet: number,
  buildId: string,
): ReadonlyArray<{ readonly livepatch: Livepatch; readonly update: Update }> {
  return index.groups.get(groupKey(component, replaceSet))?.byBase.get(buildId.toLowerCase()) ?? [];
}

/** The replace sets that publish livepatches for a base build, in ascending order. */
export function replaceSetsFor(index: RepositoryIndex, component: Component, buildId: string): number[] {
  const sets: number[] = [];
  for (const [key, group] of index.groups) {
    const [groupComponent, set] = key.split('/');
    if (groupComponent === component && group.byBase.has(buildId.toLowerCase())) sets.push(Number(set));
  }
  return sets.sort((a, b) => a - b);
}

/** What the host runs, as `klpm check` or a fleet's hosts.jsonl gives it. */
export interface HostComponent {
  readonly component: Component;
  /** undefined when the build ID could not be read */
  readonly buildId: string | undefined;
  /** version-release of the livepatch applied now, if any */
  readonly applied?: string | undefined;
  readonly replaceSet?: number | undefined;
}

/** When to warn that coverage ends: `now` and the window are passed in (pure code has no clock). */
export interface EvaluationTime {
  readonly now: number;
  readonly expiryWindowDays: number;
}

export type ApplicabilityStatus =
  | 'supported'
  | 'kernel-upgrade-required'
  | 'kernel-end-of-life'
  | 'unsupported'
  | 'unknown';
export type RebootNeed = 'no' | 'yes' | 'yes-livepatch-covered';

/** The answer for one host component. */
export interface Applicability {
  readonly component: Component;
  readonly buildId: string | undefined;
  readonly status: ApplicabilityStatus;
  readonly eol: boolean;
  readonly apply: { to: string; base: string; baseBuildId: string; update: string } | null;
  readonly candidates: ReadonlyArray<{ to: string; update: string }>;
  readonly rolledUp: ReadonlyArray<string>;
  readonly reboot: RebootNeed;
  readonly guidance: PrunedGuidance;
  readonly expires: string | null;
  readonly reason: string;
}

const NO_GUIDANCE: PrunedGuidance = { mandatory: [], recommended: [], full: [] };
const DAY_MS = 86_400_000;

/**
 * Decides, for one host component, whether its base build is supported, end of life or unknown to the
 * repository, and which livepatches to apply. The rule is xapi's (is_supported and
 * get_accumulative_livepatches in ocaml/xapi/repository_helpers.ml) taken per replace set: a base is
 * supported only while a livepatch with the newest `to` still lists it, so a base dropped by the newest
 * update is end of life even though older updates carry livepatches for it. The base is classified
 * first (R-UNKNOWN, R-UNSUPPORTED, R-EOL), then a supported one gets its offer (docs/repository.md).
 */
export function evaluateHost(
  index: RepositoryIndex,
  host: HostComponent,
  time: EvaluationTime,
): Applicability {
  const base = classifyBase(index, host);
  return base.kind === 'supported' ? offerFor(index, host, base, time) : base.answer;
}

/** Statuses from worst to best: a host with several replace sets shows the worst of them. */
export const STATUS_ORDER: ReadonlyArray<ApplicabilityStatus> = [
  'kernel-end-of-life',
  'unsupported',
  'unknown',
  'kernel-upgrade-required',
  'supported',
];

/** The status of a list of answers (replace sets, or hosts of one build): the worst one; none is unknown. */
export function worstStatus(statuses: ReadonlyArray<ApplicabilityStatus>): ApplicabilityStatus {
  return statuses.length === 0
    ? 'unknown'
    : STATUS_ORDER[Math.min(...statuses.map((s) => STATUS_ORDER.indexOf(s)))]!;
}

/**
 * The statuses classifyBase settles before it looks at the applied livepatch: an answer with one of
 * these is the same whatever the host has applied (a fleet's memo keys them without it).
 */
export const SETTLED_STATUSES: ReadonlySet<ApplicabilityStatus> = new Set<ApplicabilityStatus>([
  'unknown',
  'unsupported',
  'kernel-end-of-life',
]);

type BaseClass =
  | { readonly kind: 'settled'; readonly answer: Applicability }
  | { readonly kind: 'supported'; readonly buildId: string; readonly forBase: ReadonlyArray<Entry> };

/** Whether the repository supports the host's base build at all, for its component and replace set. */
function classifyBase(index: RepositoryIndex, host: HostComponent): BaseClass {
  const { component } = host;
  const settled = (answered: Applicability): BaseClass => ({ kind: 'settled', answer: answered });
  // R-UNKNOWN: nothing can be said without the build
  if (host.buildId === undefined)
    return settled(
      answer(component, undefined, 'unknown', 'no', `the running ${component} build id could not be read`),
    );
  const buildId = host.buildId.toLowerCase();
  const set = host.replaceSet ?? 0;
  const group = index.groups.get(groupKey(component, set));
  const forBase = group?.byBase.get(buildId);
  // R-UNSUPPORTED: no livepatch of this component and set was ever built for the build
  if (group === undefined || forBase === undefined)
    return settled(
      answer(
        component,
        buildId,
        'unsupported',
        'no',
        `no livepatch in the repository was ever built for ${component} build ${buildId}${set === 0 ? '' : ` in replace set ${set}`}`,
      ),
    );
  // R-EOL: the newest update dropped the build
  if (!group.supported.has(buildId))
    return settled(
      answer(
        component,
        buildId,
        'kernel-end-of-life',
        'yes',
        `the newest livepatches (to ${group.newestToText}) no longer cover build ${buildId}: upgrade the ${component} and reboot`,
      ),
    );
  return { kind: 'supported', buildId, forBase };
}

/**
 * The offer for a supported base: the newest cumulative livepatch newer than the applied one
 * (R-NEWEST), the coverage end that makes it `kernel-upgrade-required` (R-EXPIRY), and the reboot
 * the rolled-up updates' guidance asks for (R-REBOOT).
 */
function offerFor(
  index: RepositoryIndex,
  host: HostComponent,
  base: Extract<BaseClass, { kind: 'supported' }>,
  time: EvaluationTime,
): Applicability {
  const { component } = host;
  const { buildId, forBase } = base;
  const applied = host.applied === undefined ? undefined : parseVersionRelease(host.applied);
  const fresh =
    applied === undefined ? forBase : forBase.filter((e) => compareVersionRelease(e.to, applied) > 0);
  const candidates = fresh.map((e) => ({ to: e.livepatch.to, update: e.update.id }));
  const rolledUp = [...new Set(candidates.map((c) => c.update))];
  const first = fresh[0];
  const running = first ?? forBase.find((e) => applied && compareVersionRelease(e.to, applied) === 0);
  const expires = running?.livepatch.expires ?? null;
  const end = expires === null ? undefined : Date.parse(`${expires}T00:00:00Z`);
  const expiring = end !== undefined && end <= time.now + time.expiryWindowDays * DAY_MS;
  const status = expiring ? 'kernel-upgrade-required' : 'supported';
  // a date already past reads in the past tense
  const expiryNote = expiring
    ? `; livepatch coverage of this build ${end <= time.now ? 'ended' : 'ends'} ${expires}: plan a ${component} upgrade`
    : '';
  if (first === undefined)
    return answer(
      component,
      buildId,
      status,
      'no',
      `build ${buildId} is supported and already runs the newest livepatch (${host.applied})${expiryNote}`,
      { expires },
    );
  const updates = rolledUp.map((id) => index.updates.get(id)!);
  // every rolled-up update contributes a livepatch the applied one includes (they accumulate)
  const guidance = mergeGuidance(updates, new Set(rolledUp));
  // a mandatory reboot means the update cannot be taken live at all (xapi applies no livepatch then)
  if (guidance.mandatory.includes('RebootHost'))
    return answer(
      component,
      buildId,
      status,
      'yes',
      `an update among ${rolledUp.join(', ')} makes RebootHost mandatory: no livepatch is applied, reboot${expiryNote}`,
      { candidates, rolledUp, guidance, expires },
    );
  const covered = updates.some((u) => u.guidance.recommended.includes('RebootHost'));
  return answer(
    component,
    buildId,
    status,
    covered ? 'yes-livepatch-covered' : 'no',
    `build ${buildId} is supported: apply the livepatch to ${first.livepatch.to} from ${first.update.id}${rolledUp.length > 1 ? `, rolling up ${rolledUp.length} updates` : ''}${expiryNote}`,
    {
      apply: {
        to: first.livepatch.to,
        base: first.livepatch.base,
        baseBuildId: buildId,
        update: first.update.id,
      },
      candidates,
      rolledUp,
      guidance,
      expires,
    },
  );
}

/** One object shape for every answer (a fleet makes 100,000 of them). */
function answer(
  component: Component,
  buildId: string | undefined,
  status: ApplicabilityStatus,
  reboot: RebootNeed,
  reason: string,
  more: Partial<Pick<Applicability, 'apply' | 'candidates' | 'rolledUp' | 'guidance' | 'expires'>> = {},
): Applicability {
  return {
    component,
    buildId,
    status,
    eol: status === 'kernel-end-of-life',
    apply: more.apply ?? null,
    candidates: more.candidates ?? NO_CANDIDATES,
    rolledUp: more.rolledUp ?? NO_UPDATES,
    reboot,
    guidance: more.guidance ?? NO_GUIDANCE,
    expires: more.expires ?? null,
    reason,
  };
}

const NO_CANDIDATES: Applicability['candidates'] = [];
const NO_UPDATES: ReadonlyArray<string> = [];
