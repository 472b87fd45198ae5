import type { KernelKind, PatchManifest } from '../klp/index.js';
import { predictPlan } from './predict.js';
import type {
  CompareVersions,
  Goal,
  HostLivepatchState,
  LoadedPatch,
  Plan,
  PlanKind,
  PlanStep,
  RefusedPlan,
} from './types.js';

/**
 * Turns the host's livepatch state and a goal into ordered steps, and checks them on the simulator
 * for the host's kernel kind. Pure: the caller reads the host and the repository and passes them in.
 */
export function assemblePlan(
  host: HostLivepatchState,
  goal: Goal,
  compare: CompareVersions,
): Plan | RefusedPlan {
  const busy = host.patches.find((p) => p.transition);
  if (busy) {
    return refuse(
      `patch '${busy.manifest.name}' is in transition: wait for it to complete, or reverse it, before changing anything`,
    );
  }
  switch (goal.type) {
    case 'reboot':
      return checked(
        host,
        'reboot',
        [],
        [goal.reason, 'no livepatch applies: reboot into a supported kernel'],
        [],
      );
    case 'remove': {
      const loaded = host.patches.find((p) => p.manifest.name === goal.patch);
      if (!loaded) return checked(host, 'nothing', [], [`patch '${goal.patch}' is not loaded`], []);
      return checked(host, 'removal', takeOut(loaded), [], []);
    }
    case 'apply':
      return planApply(host, goal.patch.manifest, goal, compare);
  }
}

/** The loaded patches the incoming one replaces on a kernel with native sets, or that share its set. */
function sameSet(kind: KernelKind, incoming: PatchManifest, loaded: LoadedPatch): boolean {
  const id = loaded.manifest.replaceSet;
  return id === incoming.replaceSet || (kind === 'provides' && incoming.obsoletes.includes(id));
}

/** Disable, wait for the sysfs directory to go, unload: the only safe way out (6.12 answers EAGAIN to an early rmmod). */
function takeOut(loaded: LoadedPatch): PlanStep[] {
  const patch = loaded.manifest.name;
  return [
    { op: 'disable', patch },
    { op: 'wait-removed', patch },
    { op: 'unload', patch },
  ];
}

function planApply(
  host: HostLivepatchState,
  incoming: PatchManifest,
  goal: Extract<Goal, { type: 'apply' }>,
  compare: CompareVersions,
): Plan | RefusedPlan {
  const offer = goal.patch;
  const load: PlanStep = {
    op: 'load',
    patch: incoming.name,
    version: offer.version,
    ...(offer.file ? { file: offer.file } : {}),
    ...(offer.sha256 ? { sha256: offer.sha256 } : {}),
  };
  const mine = host.patches.filter((p) => sameSet(host.kind, incoming, p));
  const others = host.patches.filter((p) => !sameSet(host.kind, incoming, p));
  if (mine.some((p) => p.manifest.name === incoming.name && p.to === offer.version)) {
    return checked(host, 'nothing', [], [`patch '${incoming.name}' ${offer.version} is already loaded`], []);
  }
  const clash = host.patches.find((p) => p.manifest.name === incoming.name);
  if (clash) {
    return refuse(
      `a module named '${incoming.name}' is loaded already (version ${clash.to ?? 'unknown'}): each build of a patch needs its own module name`,
    );
  }
  const newer = mine.find((p) => p.to !== undefined && compare(offer.version, p.to) < 0);
  if (newer) {
    // Never replace backwards: a lower state version is refused, and callbacks would run in the wrong order.
    return checked(
      host,
      'downgrade',
      [...mine.flatMap(takeOut), load],
      [
        `downgrade from ${newer.to} to ${offer.version}: ${mine.map((p) => `'${p.manifest.name}'`).join(', ')} is disabled and unloaded first; nothing of replace set ${incoming.replaceSet} is patched in between`,
      ],
      [incoming],
    );
  }
  if (mine.length === 0) return checkFirstLoad(host, incoming, others, load);

  const unloadReplaced = mine.map((p): PlanStep => ({ op: 'unload', patch: p.manifest.name }));
  if (host.kind !== 'replace-bool') {
    return checked(host, 'upgrade-atomic', [load, ...unloadReplaced], [], [incoming]);
  }
  // replace-bool: the boolean replaces every patch; it maps onto one set only when no other set is loaded.
  if (incoming.replace) {
    if (others.length > 0) return refuse(replacesOtherSets(incoming, others));
    return checked(host, 'upgrade-atomic', [load, ...unloadReplaced], [], [incoming]);
  }
  return checked(
    host,
    'upgrade-two-step',
    [load, ...mine.flatMap(takeOut)],
    [
      `two-step upgrade (this kernel has only the boolean replace): '${incoming.name}' is loaded on top, then ${mine
        .map((p) => `'${p.manifest.name}'`)
        .join(', ')} disabled and unloaded`,
      'unlike an atomic replace, the old patch runs its pre_unpatch and post_unpatch callbacks, and between the steps both patches are enabled (the new one wins for every function it patches)',
    ],
    [incoming],
  );
}

function checkFirstLoad(
  host: HostLivepatchState,
  incoming: PatchManifest,
  others: ReadonlyArray<LoadedPatch>,
  load: PlanStep,
): Plan | RefusedPlan {
  if (host.kind === 'replace-bool' && incoming.replace && others.length > 0)
    return refuse(replacesOtherSets(incoming, others));
  return checked(host, 'first-load', [load], [], [incoming]);
}

function replacesOtherSets(incoming: PatchManifest, others: ReadonlyArray<LoadedPatch>): string {
  const names = others.map((p) => `'${p.manifest.name}' (replace set ${p.manifest.replaceSet})`).join(', ');
  return `'${incoming.name}' has replace=1, which on this kernel would also replace ${names}; use a build with replace=0`;
}

function checked(
  host: HostLivepatchState,
  kind: PlanKind,
  steps: PlanStep[],
  notes: string[],
  incoming: PatchManifest[],
): Plan | RefusedPlan {
  const prediction = predictPlan(host, steps, incoming);
  if (!prediction.ok)
    return { refused: true, reason: prediction.reason, steps, predictedLog: prediction.log };
  return { kind, steps, notes, predictedLog: prediction.log, predictedSysfs: prediction.sysfs };
}

function refuse(reason: string): RefusedPlan {
  return { refused: true, reason, steps: [], predictedLog: [] };
}

/** Whether an assembled plan was refused. */
export function isRefused(plan: Plan | RefusedPlan): plan is RefusedPlan {
  return 'refused' in plan;
}
