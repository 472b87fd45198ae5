import { isSilent, parseDuration } from '../duration.js';
import { budgetOf } from './spec.js';
import type { HostFailure, Rollout, RolloutHost, RolloutStateName, WaveState } from './state.js';

/** What a step of the rollout decided: the new rollout, failures found by the clock, and notices. */
export interface Advanced {
  readonly rollout: Rollout;
  /** hosts that failed by missing the deadline or going silent (RO-DEADLINE, RO-SILENT) */
  readonly failures: ReadonlyArray<{ readonly hostId: string; readonly failure: HostFailure }>;
  /** what happened, for the webhooks: the rollout halted or completed in this step */
  readonly notices: ReadonlyArray<'halted' | 'done'>;
}

const ms = (duration: string) => parseDuration(duration) ?? 0;

/**
 * One step of a running rollout at `now`, from what its hosts did (RO-WAVE): the first wave not
 * done opens; its hosts that missed the deadline or went silent after their plan was given fail;
 * more unacknowledged failures than its budget halt the rollout with the reason and the hosts
 * (RO-HALT); once every host applied or failed, the soak runs from the last of them, and after it
 * the wave is done and the next opens in the same step. An empty wave completes at once. A rollout
 * that is not running does not move. `loaded` names the waves whose hosts `hosts` holds (the shell
 * reads one or two waves, not the fleet): a wave outside it is opened and the step ends there, for
 * the caller to step again with its hosts. Without it `hosts` holds every wave's.
 */
export function advanceRollout(
  rollout: Rollout,
  hosts: ReadonlyArray<RolloutHost>,
  now: number,
  loaded?: ReadonlySet<number>,
): Advanced {
  if (rollout.state !== 'running') return { rollout, failures: [], notices: [] };
  const waves = [...rollout.waves];
  const found: Array<{ hostId: string; failure: HostFailure }> = [];
  const byWave = new Map<number, RolloutHost[]>();
  for (const h of hosts) {
    const list = byWave.get(h.wave) ?? [];
    list.push(h);
    byWave.set(h.wave, list);
  }
  let state: RolloutStateName = 'running';
  let reason = rollout.reason;
  let haltedHosts = rollout.haltedHosts;
  const notices: Array<'halted' | 'done'> = [];
  for (let i = 0; i < waves.length; i++) {
    let wave: WaveState = waves[i]!;
    if (wave.state === 'done') continue;
    if (wave.state === 'pending') wave = { ...wave, state: 'open', openedAt: now };
    if (loaded !== undefined && !loaded.has(i)) {
      waves[i] = wave;
      break;
    }
    const openedAt = wave.openedAt ?? now;
    const members = (byWave.get(i) ?? []).map((h): RolloutHost => {
      if (h.appliedAt !== null || h.failure !== null) return h;
      const failure = timeFailure(h, wave, openedAt, now);
      if (failure === undefined) return h;
      found.push({ hostId: h.hostId, failure });
      return { ...h, failure };
    });
    const counted = members.filter((h) => h.failure !== null && !h.acknowledged);
    const budget = budgetOf(wave.failureBudget, members.length);
    if (counted.length > budget) {
      waves[i] = wave;
      state = 'halted';
      haltedHosts = counted.map((h) => h.hostId);
      reason = `wave ${wave.name}: ${counted.length} failed, budget ${budget}: ${counted
        .slice(0, 10)
        .map((h) => `${h.hostId} (${h.failure!.reason})`)
        .join(', ')}${counted.length > 10 ? `, and ${counted.length - 10} more` : ''}`;
      notices.push('halted');
      break;
    }
    if (members.length === 0) {
      waves[i] = { ...wave, state: 'done', settledAt: now, completedAt: now };
      continue;
    }
    const settled = members.every((h) => h.appliedAt !== null || h.failure !== null);
    if (!settled) {
      waves[i] = wave;
      break;
    }
    const settledAt =
      wave.settledAt ?? Math.max(...members.map((h) => h.appliedAt ?? h.failure?.at ?? openedAt));
    if (now < settledAt + ms(wave.soak)) {
      waves[i] = { ...wave, state: 'soaking', settledAt };
      break;
    }
    waves[i] = { ...wave, state: 'done', settledAt, completedAt: now };
  }
  if (state === 'running' && waves.every((w) => w.state === 'done')) {
    state = 'done';
    reason = 'every wave completed';
    notices.push('done');
  }
  return {
    rollout: { ...rollout, waves, state, reason, haltedHosts, updatedAt: now },
    failures: found,
    notices,
  };
}

/** RO-DEADLINE and RO-SILENT: a host of an open wave that has not applied. */
function timeFailure(
  h: RolloutHost,
  wave: WaveState,
  openedAt: number,
  now: number,
): HostFailure | undefined {
  if (now >= openedAt + ms(wave.deadline))
    return { at: now, reason: `missed the deadline: not applied ${wave.deadline} after the wave opened` };
  if (
    h.planGivenAt !== null &&
    h.lastSeen !== null &&
    h.interval !== null &&
    isSilent(h.lastSeen, h.interval, now)
  )
    return { at: now, reason: 'silent after its plan was given' };
  return undefined;
}

/** An admin's action on a rollout. */
export type RolloutAction = 'pause' | 'resume' | 'abort' | 'rollback';

const FROM: Readonly<Record<RolloutAction, ReadonlyArray<RolloutStateName>>> = {
  pause: ['running'],
  resume: ['halted', 'paused'],
  abort: ['running', 'halted', 'paused'],
  rollback: ['running', 'halted', 'paused', 'aborted', 'done'],
};

const TO: Readonly<Record<RolloutAction, RolloutStateName>> = {
  pause: 'paused',
  resume: 'running',
  abort: 'aborted',
  rollback: 'rolled-back',
};

/**
 * RO-ACTION: pause a running rollout; resume a halted or paused one (a resume of a halt
 * acknowledges every failure so far: `acknowledge` is true); abort an active one; roll back any
 * but one already rolled back (the hosts of the opened waves get plans back to their `fromTo`).
 */
export function actOnRollout(
  rollout: Rollout,
  action: RolloutAction,
  now: number,
  who: string,
): { ok: true; rollout: Rollout; acknowledge: boolean } | { ok: false; reason: string } {
  if (!FROM[action].includes(rollout.state))
    return { ok: false, reason: `a ${rollout.state} rollout cannot ${action}` };
  const reason = action === 'resume' ? '' : `${TO[action]} by ${who} at ${new Date(now).toISOString()}`;
  return {
    ok: true,
    acknowledge: action === 'resume' && rollout.state === 'halted',
    rollout: {
      ...rollout,
      state: TO[action],
      reason,
      haltedHosts: action === 'resume' ? [] : rollout.haltedHosts,
      updatedAt: now,
    },
  };
}
