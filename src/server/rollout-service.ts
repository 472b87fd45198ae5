import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATES,
  actOnRollout,
  advanceRollout,
  buildsOf,
  eventFailure,
  type FleetPlan,
  gatedPlan,
  gatesFor,
  type HostEvaluation,
  type HostEventBody,
  type Membership,
  newRollout,
  type Pin,
  type PinKey,
  type PinSpec,
  placeHost,
  type Report,
  type Rollout,
  type RolloutAction,
  type RolloutHost,
  type RolloutSpec,
  reportChange,
  rolloutView,
  versionOfUpdate,
} from '../fleet/index.js';
import type { EvaluationTime } from '../repo/index.js';
import type { FleetStore } from '../store/index.js';
import { HttpError } from './http-io.js';
import type { Assessed, LoadedRepository } from './repository-state.js';
import { eventId, type Webhooks } from './webhooks.js';

/** How many hosts a new rollout reads per page when it places them. */
const PAGE = 2000;

/**
 * The rollouts of one server over the store (docs/fleet.md, "Rollouts"): it places hosts, gates
 * their plans, records what reports and events tell, and steps rollouts with src/fleet's
 * `advanceRollout` when something arrives and on the server's tick. The store holds the state; this
 * keeps a copy of the rollouts and pins, read again at each tick and after each change here.
 */
export class RolloutService {
  private rollouts: Rollout[] = [];
  private pins: Pin[] = [];
  private lastExpiryCheck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: FleetStore,
    private readonly repository: () => LoadedRepository,
    private readonly webhooks: Webhooks,
    private readonly options: { readonly expiryDays?: number; readonly expiryCheckMs?: number } = {},
  ) {}

  async reload(): Promise<void> {
    [this.rollouts, this.pins] = await Promise.all([this.store.listRollouts(), this.store.listPins()]);
  }

  private active(): Rollout[] {
    return this.rollouts.filter((r) => ACTIVE_STATES.includes(r.state));
  }

  /** The host's status and plan from a report, its plan gated by rollouts and pins (RO-GATE). */
  async assess(
    hostId: string,
    report: Report,
    time: EvaluationTime,
    fingerprint?: string,
  ): Promise<{ evaluation: HostEvaluation; plan: FleetPlan }> {
    const loaded = this.repository();
    const plain = loaded.assess(report, time, fingerprint);
    if (this.rollouts.length === 0 && this.pins.length === 0) return plain;
    const facts = await this.store.hostRollouts(hostId);
    if (facts === undefined) return plain;
    const memberships: Membership[] = [...facts.memberships];
    for (const rollout of this.active()) {
      if (memberships.some((m) => m.rolloutId === rollout.id) || rollout.outOfScope.includes(hostId))
        continue;
      // a host that reports for the first time since the rollout started takes its place now
      const placed = placeHost(
        rollout,
        { hostId, labels: facts.labels, buildId: report.buildId, status: report.status },
        loaded.index,
        time.now,
      );
      if (placed.kind !== 'member') continue;
      await this.store.addRolloutHost(rollout.id, placed.host);
      memberships.push({ rolloutId: rollout.id, wave: placed.host.wave, fromTo: placed.host.fromTo });
    }
    const gates = gatesFor({ id: hostId, labels: facts.labels }, this.rollouts, memberships, this.pins);
    if (gates.length === 0) return plain;
    return {
      evaluation: plain.evaluation,
      plan: gatedPlan(report.status, report.buildId, loaded.index, time, gates),
    };
  }

  /**
   * How a re-evaluation assesses the fleet (src/server/repository-state.ts): the hosts a gate may
   * single out (a member or an out-of-scope host of a rollout that is not done, a pinned host) are
   * assessed alone with `assess`; every other host has no membership and no pin, so its gates are
   * those of a host outside every rollout, the same for all of them (gatesFor), and its answer
   * depends on its report only. Such a host is not placed in a rollout here (its next report
   * places it, as `assess` does).
   */
  async reevaluation(): Promise<{
    alone: string[];
    others: (report: Report, time: EvaluationTime) => Assessed;
  }> {
    await this.reload();
    const loaded = this.repository();
    const alone = new Set<string>();
    for (const rollout of this.rollouts) {
      if (rollout.state === 'done') continue;
      for (const host of await this.store.rolloutHosts(rollout.id)) alone.add(host.hostId);
      for (const id of rollout.outOfScope) alone.add(id);
    }
    for (const pin of this.pins)
      if ('host' in pin.target) alone.add(pin.target.host);
      else for (const id of await this.store.labelledHosts(pin.target.label)) alone.add(id);
    // no host id is empty: this host is in no rollout's out-of-scope list and has no pin
    const gates = gatesFor({ id: '', labels: [] }, this.rollouts, [], []);
    return {
      alone: [...alone],
      others: (report, time) => {
        const plain = loaded.assess(report, time);
        if (gates.length === 0) return plain;
        return {
          evaluation: plain.evaluation,
          plan: gatedPlan(report.status, report.buildId, loaded.index, time, gates),
        };
      },
    };
  }

  /** What a stored report tells each active rollout of the host: applied, plan given, rebooted. */
  async onReport(hostId: string, report: Report, plan: FleetPlan, now: number): Promise<void> {
    for (const rollout of this.active()) {
      const member = await this.store.rolloutHost(rollout.id, hostId);
      if (member === undefined) continue;
      const change = reportChange(rollout, member, report, plan, this.repository().index, now);
      if (Object.keys(change).length === 0) continue;
      await this.store.updateRolloutHost(rollout.id, hostId, change);
      if (change.appliedAt !== undefined || change.failure !== undefined) await this.step(rollout.id, now);
    }
  }

  /** An apply event's failure, for each active rollout the host is in (RO-FAIL-*). */
  async onEvent(hostId: string, event: HostEventBody, now: number): Promise<void> {
    for (const rollout of this.active()) {
      const member = await this.store.rolloutHost(rollout.id, hostId);
      if (member === undefined) continue;
      const failure = eventFailure(rollout, member, event, now);
      if (failure === undefined) continue;
      await this.store.updateRolloutHost(rollout.id, hostId, { failure });
      await this.step(rollout.id, now);
    }
  }

  /**
   * The plan a host fetches (and `GET /v1/hosts/{id}` shows): under gates it is made again from its
   * stored report, so a wave that opened since the report shows at once.
   */
  async planOf(
    hostId: string,
    stored: FleetPlan,
    time: EvaluationTime,
    report?: Report | null,
  ): Promise<FleetPlan> {
    if (this.rollouts.length === 0 && this.pins.length === 0) return stored;
    const latest = report ?? (await this.store.host(hostId))?.report;
    if (latest == null) return stored;
    return (await this.assess(hostId, latest, time)).plan;
  }

  /** Starts a rollout: resolves its version, places every reported host, opens the first wave. */
  async start(spec: RolloutSpec, who: string, now: number): Promise<Rollout> {
    const { index } = this.repository();
    const to =
      spec.to ??
      versionOfUpdate(index, spec.update!, spec.component, spec.replaceSet) ??
      (() => {
        throw new HttpError(
          422,
          `update ${spec.update} has no livepatch of ${spec.component} in replace set ${spec.replaceSet}`,
          'update',
        );
      })();
    const rollout0 = newRollout(spec, { id: randomUUID(), to, now, createdBy: who });
    const members: RolloutHost[] = [];
    const outOfScope: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.store.rolloutCandidates(after, PAGE);
      if (page.length === 0) break;
      for (const candidate of page) {
        const placed = placeHost(rollout0, candidate, index, now);
        if (placed.kind === 'member') members.push(placed.host);
        else outOfScope.push(candidate.hostId);
      }
      after = page[page.length - 1]!.hostId;
    }
    if (members.length === 0 && outOfScope.length > 0 && !this.published(to, spec))
      throw new HttpError(
        422,
        `the repository publishes no livepatch ${to} of ${spec.component} in replace set ${spec.replaceSet}`,
        'to',
      );
    const rollout = { ...rollout0, outOfScope };
    if ((await this.store.createRollout(rollout, members)) === 'conflict')
      throw new HttpError(
        409,
        `a rollout of ${spec.component} replace set ${spec.replaceSet} is already running (or halted or paused)`,
      );
    await this.step(rollout.id, now);
    return (await this.store.rollout(rollout.id)) ?? rollout;
  }

  private published(to: string, spec: RolloutSpec): boolean {
    for (const update of this.repository().index.updates.values())
      for (const lp of update.livepatches)
        if (lp.to === to && lp.component === spec.component && lp.replaceSet === spec.replaceSet) return true;
    return false;
  }

  /**
   * Steps a rollout (advanceRollout) with the hosts of its current wave and the next only, so a
   * step reads one wave and not the fleet; when it opened a wave beyond those, it steps again with
   * that wave's hosts (an empty wave completes at once). Clock failures and notices are stored.
   */
  async step(id: string, now: number): Promise<Rollout | undefined> {
    let rollout = await this.store.rollout(id);
    let moved = false;
    for (
      let round = 0;
      rollout !== undefined && rollout.state === 'running' && round <= rollout.waves.length;
      round++
    ) {
      const current = rollout.waves.findIndex((w) => w.state !== 'done');
      const loaded = [current, current + 1].filter((i) => i >= 0 && i < rollout!.waves.length);
      const hosts = await this.store.rolloutHosts(id, loaded);
      const advanced = advanceRollout(rollout, hosts, now, new Set(loaded));
      for (const { hostId, failure } of advanced.failures)
        await this.store.updateRolloutHost(id, hostId, { failure });
      const changed =
        JSON.stringify({ ...advanced.rollout, updatedAt: 0 }) !==
        JSON.stringify({ ...rollout, updatedAt: 0 });
      if (!changed) break;
      moved = true;
      await this.store.saveRollout(advanced.rollout);
      for (const notice of advanced.notices) {
        const r = advanced.rollout;
        await this.webhooks.notify(
          eventId(r.id, notice, notice === 'halted' ? r.reason : ''),
          notice === 'halted' ? 'rollout.halted' : 'rollout.done',
          { rollout: rolloutView(r, await this.store.rolloutHosts(id)) },
          now,
        );
      }
      const next = advanced.rollout.waves.findIndex((w) => w.state !== 'done');
      rollout = advanced.rollout;
      // step again only when a wave this step did not read is the current one now
      if (next === -1 || loaded.includes(next)) break;
    }
    if (moved) await this.reload();
    return rollout;
  }

  async view(id: string, now: number) {
    await this.step(id, now);
    const rollout = await this.store.rollout(id);
    if (rollout === undefined) throw new HttpError(404, `no rollout ${id}`);
    return rolloutView(rollout, await this.store.rolloutHosts(id));
  }

  async list(now: number) {
    const views = [];
    for (const rollout of await this.store.listRollouts()) views.push(await this.view(rollout.id, now));
    return views;
  }

  async act(id: string, action: RolloutAction, who: string, now: number) {
    const rollout = await this.store.rollout(id);
    if (rollout === undefined) throw new HttpError(404, `no rollout ${id}`);
    const acted = actOnRollout(rollout, action, now, who);
    if (!acted.ok) throw new HttpError(409, acted.reason);
    if (acted.acknowledge) await this.store.acknowledgeFailures(id);
    await this.store.saveRollout(acted.rollout);
    await this.reload();
    return this.view(id, now);
  }

  async putPin(spec: PinSpec, who: string, now: number): Promise<Pin> {
    const pin: Pin = {
      target: spec.host !== undefined ? { host: spec.host } : { label: spec.label! },
      component: spec.component,
      replaceSet: spec.replaceSet,
      to: spec.to,
      createdAt: new Date(now).toISOString(),
      createdBy: who,
    };
    await this.store.putPin(pin);
    await this.reload();
    return pin;
  }

  async deletePin(key: PinKey): Promise<boolean> {
    const deleted = await this.store.deletePin(key);
    await this.reload();
    return deleted;
  }

  /**
   * The server's tick: read the rollouts again (another server may have changed them), step the
   * running ones (deadlines, silence, soak), warn of coverage ending soon, deliver webhooks.
   */
  async tick(now: () => number): Promise<void> {
    await this.reload();
    for (const rollout of this.rollouts.filter((r) => r.state === 'running'))
      await this.step(rollout.id, now());
    const days = this.options.expiryDays;
    if (
      days !== undefined &&
      this.webhooks.enabled &&
      now() - this.lastExpiryCheck >= (this.options.expiryCheckMs ?? 60_000)
    ) {
      this.lastExpiryCheck = now();
      await this.expiryNotices(days, now());
    }
    await this.webhooks.pump();
  }

  /** A webhook per build whose coverage ends within `days`, once per build and end date. */
  private async expiryNotices(days: number, now: number): Promise<void> {
    const builds = buildsOf(await this.store.summaryHosts(now), this.repository().index, {
      now,
      expiryWindowDays: days,
    });
    const horizon = now + days * 86_400_000;
    for (const build of builds) {
      if (build.expires === null || build.hosts === 0 || Date.parse(build.expires) > horizon) continue;
      await this.webhooks.notify(
        eventId('expiry', build.buildId ?? '', build.expires),
        'coverage.ending',
        {
          buildId: build.buildId,
          release: build.release,
          hosts: build.hosts,
          expires: build.expires,
          withinDays: days,
        },
        now,
      );
    }
  }
}
