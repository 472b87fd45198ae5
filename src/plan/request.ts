import { kernelModuleName, moduleNameFromPath } from '../elf/index.js';
import type { PatchManifest } from '../klp/index.js';
import {
  type Applicability,
  type EvaluationTime,
  evaluateHost,
  type Livepatch,
  livepatchesFor,
  type RepositoryIndex,
  replaceSetsFor,
} from '../repo/index.js';
import { compareVersionRelease, parseVersionRelease } from '../version/index.js';
import type { KnownPatch } from './observed.js';
import type { Goal, HostLivepatchState, OfferedPatch } from './types.js';

/** What the operator asked for: the newest fix, an older one (or none), or one patch out. */
export type UpdateRequest =
  | { readonly type: 'apply' }
  | { readonly type: 'rollback'; readonly to?: string | undefined }
  | { readonly type: 'unload'; readonly patch: string };

/** One goal per replace set the request touches, with the repository's answer for that set. */
export interface SetGoal {
  readonly replaceSet: number;
  readonly goal: Goal;
  readonly applicability?: Applicability;
}

/**
 * The goals of a request, or why it cannot have any: a version the repository does not offer, or
 * an entry klpm cannot tell the module of.
 */
export type GoalsResult =
  | {
      readonly kind: 'goals';
      readonly goals: ReadonlyArray<SetGoal>;
      /** why nothing is to be done, when `goals` is empty */
      readonly reason: string;
    }
  | { readonly kind: 'bad-request'; readonly reason: string };

const badRequest = (reason: string): GoalsResult => ({ kind: 'bad-request', reason });

/** Every livepatch the repository publishes for this kernel build, by module name. */
export function knownPatches(index: RepositoryIndex, buildId: string): Map<string, KnownPatch> {
  const known = new Map<string, KnownPatch>();
  for (const set of replaceSetsFor(index, 'kernel', buildId)) {
    for (const { livepatch } of livepatchesFor(index, 'kernel', set, buildId)) {
      const manifest = manifestOf(livepatch);
      if (manifest !== undefined && !known.has(manifest.name))
        known.set(manifest.name, { manifest, to: livepatch.to });
    }
  }
  return known;
}

/**
 * Turns a request into goals for the plan, one per replace set: the repository's newest cumulative
 * livepatch for the running build (or a reboot when the build is end of life), an older one for a
 * rollback, or a removal.
 */
export function goalsFor(
  request: UpdateRequest,
  host: HostLivepatchState,
  index: RepositoryIndex | undefined,
  buildId: string,
  time: EvaluationTime,
): GoalsResult {
  if (request.type === 'unload')
    return {
      kind: 'goals',
      goals: [{ replaceSet: setOf(host, request.patch), goal: { type: 'remove', patch: request.patch } }],
      reason: '',
    };
  if (index === undefined) return badRequest(`klpm ${request.type} needs a repository`);
  if (request.type === 'rollback') return rollbackGoals(request.to, host, index, buildId);
  const goals: SetGoal[] = [];
  const reasons: string[] = [];
  for (const { replaceSet, answer } of answersFor(host, index, buildId, time)) {
    if (answer.status === 'kernel-end-of-life' || answer.status === 'unsupported') {
      goals.push({ replaceSet, goal: { type: 'reboot', reason: answer.reason }, applicability: answer });
    } else if (answer.apply !== null) {
      const offer = offerFor(index, replaceSet, buildId, answer.apply.to);
      if (typeof offer === 'string') return badRequest(offer);
      goals.push({ replaceSet, goal: { type: 'apply', patch: offer }, applicability: answer });
    } else if (answer.reboot === 'yes') {
      goals.push({ replaceSet, goal: { type: 'reboot', reason: answer.reason }, applicability: answer });
    } else {
      reasons.push(answer.reason);
    }
  }
  return { kind: 'goals', goals, reason: reasons.join('; ') };
}

/**
 * The repository's answer for each replace set it publishes for this build (set 0 when it publishes
 * none), given the version the host runs in that set.
 */
export function answersFor(
  host: HostLivepatchState,
  index: RepositoryIndex,
  buildId: string,
  time: EvaluationTime,
): Array<{ replaceSet: number; answer: Applicability }> {
  const sets = replaceSetsFor(index, 'kernel', buildId);
  return (sets.length === 0 ? [0] : sets).map((replaceSet) => {
    const applied = host.patches.find((p) => p.manifest.replaceSet === replaceSet && p.to !== undefined);
    const answer = evaluateHost(
      index,
      { component: 'kernel', buildId, applied: applied?.to, replaceSet },
      time,
    );
    return { replaceSet, answer };
  });
}

function rollbackGoals(
  to: string | undefined,
  host: HostLivepatchState,
  index: RepositoryIndex,
  buildId: string,
): GoalsResult {
  if (to !== undefined) {
    for (const replaceSet of replaceSetsFor(index, 'kernel', buildId)) {
      if (livepatchesFor(index, 'kernel', replaceSet, buildId).some((e) => e.livepatch.to === to)) {
        const offer = offerFor(index, replaceSet, buildId, to);
        if (typeof offer === 'string') return badRequest(offer);
        return { kind: 'goals', goals: [{ replaceSet, goal: { type: 'apply', patch: offer } }], reason: '' };
      }
    }
    return badRequest(
      `the repository offers no livepatch ${to} for kernel build ${buildId}: pick a version \`klpm status\` lists`,
    );
  }
  const goals: SetGoal[] = [];
  for (const loaded of host.patches) {
    const version = loaded.to === undefined ? undefined : parseVersionRelease(loaded.to);
    const replaceSet = loaded.manifest.replaceSet;
    const older =
      version === undefined
        ? undefined
        : livepatchesFor(index, 'kernel', replaceSet, buildId).find(
            (e) => compareVersionRelease(parseVersionRelease(e.livepatch.to)!, version) < 0,
          );
    if (older === undefined) {
      goals.push({ replaceSet, goal: { type: 'remove', patch: loaded.manifest.name } });
      continue;
    }
    const offer = offerFor(index, replaceSet, buildId, older.livepatch.to);
    if (typeof offer === 'string') return badRequest(offer);
    goals.push({ replaceSet, goal: { type: 'apply', patch: offer } });
  }
  return {
    kind: 'goals',
    goals,
    reason: goals.length === 0 ? 'no livepatch is loaded: nothing to roll back' : '',
  };
}

function setOf(host: HostLivepatchState, patch: string): number {
  return host.patches.find((p) => p.manifest.name === patch)?.manifest.replaceSet ?? 0;
}

/** The offer of the published livepatch `to`, or why klpm cannot offer it. */
function offerFor(
  index: RepositoryIndex,
  replaceSet: number,
  buildId: string,
  to: string,
): OfferedPatch | string {
  const entry = livepatchesFor(index, 'kernel', replaceSet, buildId).find((e) => e.livepatch.to === to);
  if (entry === undefined) return `the repository offers no livepatch ${to} for kernel build ${buildId}`;
  const { livepatch } = entry;
  const manifest = manifestOf(livepatch);
  if (manifest === undefined)
    return `livepatch ${to} of update ${entry.update.id} has neither a manifest nor a name: klpm cannot tell which module it loads`;
  return {
    manifest,
    version: livepatch.to,
    ...(livepatch.file === undefined ? {} : { file: livepatch.file }),
    ...(livepatch.sha256 === undefined ? {} : { sha256: livepatch.sha256 }),
  };
}

/**
 * The manifest of a published livepatch; without one (updateinfo.xml has none) a cumulative patch of
 * its set with no known functions: replace=1, as kpatch builds cumulative patches by default.
 */
function manifestOf(livepatch: Livepatch): PatchManifest | undefined {
  if (livepatch.manifest !== undefined) return livepatch.manifest;
  const moduleName =
    livepatch.name !== undefined
      ? kernelModuleName(livepatch.name)
      : livepatch.file === undefined
        ? undefined
        : moduleNameFromPath(livepatch.file);
  if (moduleName === undefined) return undefined;
  return {
    name: moduleName,
    replaceSet: livepatch.replaceSet,
    obsoletes: [],
    replace: true,
    version: livepatch.to,
    states: [],
    objects: [],
  };
}
