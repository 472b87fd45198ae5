import type { UpdateRequest } from '../../plan/index.js';
import {
  type EvaluationTime,
  indexRepository,
  type Livepatch,
  type Repository,
  type RepositoryIndex,
} from '../../repo/index.js';
import { rpmvercmp } from '../../version/index.js';
import { type FleetPlan, planForHost } from '../host-plan.js';
import type { StatusDocument } from '../report.js';
import { runningVersion } from './scope.js';
import type { Pin } from './spec.js';
import type { Rollout } from './state.js';

/**
 * What a replace set of one host may be offered while rollouts or pins hold it (RO-GATE):
 * `at-most` a version (its wave is open, or a pin), `below` the rollout's version (its wave is not
 * open yet), `hold` what it runs (it is in no wave), or `rollback` to the version it ran before.
 */
export interface Gate {
  readonly replaceSet: number;
  readonly kind: 'at-most' | 'below' | 'hold' | 'rollback';
  /** the version of the bound; for a rollback the version to return to (null: none was loaded) */
  readonly to: string | null;
  readonly why: string;
}

/** A host's place in one rollout, as the store keeps it. */
export interface Membership {
  readonly rolloutId: string;
  readonly wave: number;
  readonly fromTo: string | null;
}

/**
 * The gates of one host (RO-GATE, RO-PIN): a host pin, else a label pin, wins over rollouts; else
 * the newest rollout of the replace set decides, unless it is done (then every host is free, as
 * without rollouts). A host the rollout has not placed (it had not reported when the rollout
 * started and has not since) is held below the rollout's version.
 */
export function gatesFor(
  host: { readonly id: string; readonly labels: ReadonlyArray<string> },
  rollouts: ReadonlyArray<Rollout>,
  memberships: ReadonlyArray<Membership>,
  pins: ReadonlyArray<Pin>,
): Gate[] {
  const gates = new Map<number, Gate>();
  const newest = new Map<number, Rollout>();
  for (const r of rollouts)
    if (r.component === 'kernel' && (newest.get(r.replaceSet)?.createdAt ?? -1) < r.createdAt)
      newest.set(r.replaceSet, r);
  for (const [set, rollout] of newest) {
    if (rollout.state === 'done') continue;
    const member = memberships.find((m) => m.rolloutId === rollout.id);
    const why = `rollout ${rollout.id} (${rollout.state})`;
    if (member === undefined) {
      if (!rollout.outOfScope.includes(host.id))
        gates.set(set, { replaceSet: set, kind: 'below', to: rollout.to, why });
      continue;
    }
    if (member.wave < 0) {
      gates.set(set, { replaceSet: set, kind: 'hold', to: null, why: `${why}: in no wave` });
      continue;
    }
    const open = rollout.waves[member.wave]?.state !== 'pending';
    if (!open)
      gates.set(set, { replaceSet: set, kind: 'below', to: rollout.to, why: `${why}: wave not open` });
    else if (rollout.state === 'rolled-back')
      gates.set(set, { replaceSet: set, kind: 'rollback', to: member.fromTo, why });
    else gates.set(set, { replaceSet: set, kind: 'at-most', to: rollout.to, why });
  }
  const pinOf = (set: number) =>
    pins.find(
      (p) =>
        p.component === 'kernel' && p.replaceSet === set && 'host' in p.target && p.target.host === host.id,
    ) ??
    pins.find(
      (p) =>
        p.component === 'kernel' &&
        p.replaceSet === set &&
        'label' in p.target &&
        host.labels.includes(p.target.label),
    );
  for (const pin of pins) {
    const chosen = pinOf(pin.replaceSet);
    if (chosen !== undefined)
      gates.set(pin.replaceSet, {
        replaceSet: pin.replaceSet,
        kind: 'at-most',
        to: chosen.to,
        why: `pinned (${'host' in chosen.target ? `host ${chosen.target.host}` : `label ${chosen.target.label}`})`,
      });
  }
  return [...gates.values()].sort((a, b) => a.replaceSet - b.replaceSet);
}

/** A plan, with the request the agent plans again with when it is not a plain apply. */
export type GatedPlan = FleetPlan & { readonly request?: UpdateRequest };

/**
 * The host's plan under its gates. Without gates it is `planForHost`, as without rollouts. A
 * rollback gate whose host does not run its `fromTo` yet plans a rollback to it (or an unload when
 * nothing was loaded before), with plan/'s downgrade rules, and the plan names the request. Every
 * other gate plans an apply from the repository cut to the gate's bound in that set: only the
 * build's own livepatches within the bound, so the agent, which indexes the offered part, makes
 * the same plan (RO-NO-DOWNGRADE: an apply never offers below what runs).
 */
export function gatedPlan(
  status: StatusDocument,
  buildId: string | null,
  index: RepositoryIndex,
  time: EvaluationTime,
  gates: ReadonlyArray<Gate>,
): GatedPlan {
  if (gates.length === 0 || buildId === null) return planForHost(status, buildId, index, time);
  const id = buildId.toLowerCase();
  const running = (set: number) => runningVersion(status, id, index, set);
  for (const gate of gates) {
    if (gate.kind !== 'rollback' || running(gate.replaceSet) === gate.to) continue;
    const request: UpdateRequest =
      gate.to !== null
        ? { type: 'rollback', to: gate.to }
        : { type: 'unload', patch: loadedName(status, gate.replaceSet) ?? '' };
    return { ...planForHost(status, id, index, time, request), request };
  }
  const bounds = new Map<number, (to: string) => boolean>();
  for (const gate of gates) {
    const current = running(gate.replaceSet);
    const bound = gate.kind === 'hold' || gate.kind === 'rollback' ? current : gate.to;
    bounds.set(gate.replaceSet, (to) =>
      bound === null ? false : gate.kind === 'below' ? rpmvercmp(to, bound) < 0 : rpmvercmp(to, bound) <= 0,
    );
  }
  const cut = cutRepository(index, id, bounds);
  const plan = planForHost(status, id, indexRepository(cut.repository), time);
  if (cut.emptied.size === 0) return plan;
  // A set the gate left empty has no livepatch in the cut repository, and the planner would call
  // the build unsupported there; the plan says why instead (the hash, of the steps, is the same).
  return {
    ...plan,
    sets: plan.sets.map((set) => {
      const gate = gates.find((g) => g.replaceSet === set.replaceSet);
      if (!cut.emptied.has(set.replaceSet) || gate === undefined || set.steps.length > 0) return set;
      return {
        ...set,
        kind: 'held',
        to: null,
        sha256: null,
        fetch: null,
        reason: `held by ${gate.why}: nothing is offered`,
      };
    }),
  };
}

function loadedName(status: StatusDocument, replaceSet: number): string | undefined {
  return status.patches.find((p) => p.replaceSet === replaceSet && p.enabled)?.name;
}

/**
 * The repository a gated host plans from: in every component and replace set that publishes for
 * the build, the build's livepatches and one of the newest (as `offeredRepository` chooses); in a
 * kernel set with a bound, only the build's livepatches within it.
 */
function cutRepository(
  index: RepositoryIndex,
  buildId: string,
  bounds: ReadonlyMap<number, (to: string) => boolean>,
): { repository: Repository; emptied: ReadonlySet<number> } {
  const chosen = new Set<Livepatch>();
  const emptied = new Set<number>();
  for (const [key, group] of index.groups) {
    const own = group.byBase.get(buildId);
    if (own === undefined) continue;
    const [component, set] = key.split('/');
    const within = component === 'kernel' ? bounds.get(Number(set)) : undefined;
    if (within !== undefined) {
      const kept = own.filter((entry) => within(entry.livepatch.to));
      for (const entry of kept) chosen.add(entry.livepatch);
      if (kept.length === 0) emptied.add(Number(set));
      continue;
    }
    for (const entry of own) chosen.add(entry.livepatch);
    let newest: Livepatch | undefined;
    for (const list of group.byBase.values())
      for (const entry of list)
        if (entry.livepatch.to === group.newestToText && newest === undefined) newest = entry.livepatch;
    if (newest !== undefined) chosen.add(newest);
  }
  const updates = [...index.updates.values()]
    .map((u) => ({ ...u, livepatches: u.livepatches.filter((lp) => chosen.has(lp)) }))
    .filter((u) => u.livepatches.length > 0);
  return { repository: { source: 'gated', updates, warnings: [] }, emptied };
}
