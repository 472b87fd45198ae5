import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSIONS } from './klpm-guest.js';

/**
 * The rollout part of e2e/fleet-agent.test.ts: simulated agents beside the real guest. They are
 * hosts of the same `klpm serve`, enrolled, reporting and posting apply events through the API as
 * an agent does, on the guest's own build ID and with the guest's own status document (so they
 * are in the rollout's scope exactly as the guest is). Two are canaries, one of which posts a
 * reversed transition; one is an early wave; the guest is the last wave.
 */

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON; the test checks it field by field
export type Json = Record<string, any>;

export interface Api {
  readonly url: string;
  readonly admin: string;
}

export interface SimulatedAgent {
  readonly name: string;
  readonly id: string;
  readonly token: string;
  seq: number;
}

export async function call(api: Api, method: string, path: string, body?: unknown, token = api.admin) {
  const answer = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await answer.text();
  const parsed = (text === '' ? {} : JSON.parse(text)) as Json;
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
  return parsed;
}

export async function enrollSimulated(api: Api, secret: string, name: string): Promise<SimulatedAgent> {
  const machineId = Buffer.from(name.padEnd(16, '-')).toString('hex').slice(0, 32);
  const answer = await fetch(`${api.url}/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, machineId, hostname: name }),
  });
  const body = (await answer.json()) as Json;
  if (!answer.ok) throw new Error(`enroll ${name}: ${answer.status} ${JSON.stringify(body)}`);
  return { name, id: body.id, token: body.token, seq: 0 };
}

/**
 * The agent's check-in: the guest's own report (as the server stored it) with this agent's
 * sequence number and boot, and `status` in place of the guest's. Answered with the host's plan.
 */
export async function reportSimulated(
  api: Api,
  agent: SimulatedAgent,
  guestReport: Json,
  status: Json,
): Promise<Json> {
  agent.seq += 1;
  const machineId = Buffer.from(agent.name.padEnd(16, '-')).toString('hex').slice(0, 32);
  const body = { ...guestReport, machineId, bootId: `${agent.name}-boot`, seq: agent.seq, status };
  return call(api, 'POST', `/v1/hosts/${agent.id}/report`, body, agent.token);
}

export const postEvent = (api: Api, agent: SimulatedAgent, event: Json) =>
  call(api, 'POST', `/v1/hosts/${agent.id}/events`, event, agent.token);

/**
 * The guest's status document with klpm_e2e_v2 loaded and enabled, as `klpm status --json` shows a
 * patch (its objects and funcs from the repository's manifest): what a simulated agent reports
 * after it applied the rollout's version.
 */
export function statusWithV2(guestStatus: Json, workDir: string): Json {
  const index = JSON.parse(readFileSync(join(workDir, 'repo-v2', 'index.json'), 'utf8')) as Json;
  const livepatch = (index.updates as Json[])
    .flatMap((u) => u.livepatches as Json[])
    .find((lp) => lp.to === VERSIONS.klpm_e2e_v2);
  if (livepatch === undefined) throw new Error('repo-v2 has no klpm_e2e_v2');
  const manifest = livepatch.manifest as Json;
  const attributes = guestStatus.attributes as string[];
  const patch = {
    name: manifest.name,
    enabled: true,
    transition: false,
    ...(attributes.includes('replace') ? { replace: manifest.replace !== false } : {}),
    objects: (manifest.objects as Json[]).map((o) => ({
      name: o.name,
      patched: true,
      funcs: (o.funcs as Array<string | Json>).map((f) =>
        typeof f === 'string' ? { name: f, sympos: 0 } : { name: f.name, sympos: f.sympos ?? 0 },
      ),
    })),
  };
  return { ...guestStatus, patches: [patch] };
}

/** The set of replace set 0 a plan offers (its `to`), or undefined when it offers none. */
export const offeredSet = (plan: Json): Json | undefined =>
  (plan.sets as Json[] | undefined)?.find((s) => s.replaceSet === 0 && s.to !== null);

export async function until<T>(what: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await what();
    if (got !== undefined) return got;
    if (Date.now() > end) throw new Error('timed out waiting for the rollout');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the rollout looked like at each point, for the test to check after the guest's run. */
export interface RolloutRecord {
  id: string;
  guestId: string;
  canaries: [SimulatedAgent, SimulatedAgent];
  early: SimulatedAgent;
  /** the rollout as POST /v1/rollouts answered it */
  started: Json;
  /** the guest's plan while the canary wave was open, and while the rollout was halted */
  guestPlanAtStart: Json;
  guestPlanHalted: Json;
  /** the early wave's host's plan while halted */
  earlyPlanHalted: Json;
  /** the plan the healthy canary was answered, and the one the failing canary was */
  canaryPlans: [Json, Json];
  halted: Json;
  resumed: Json;
  /** after the early host applied: the guest's wave open */
  guestWaveOpen: Json;
  guestPlanOpen: Json;
}

/** The rollout's waves: the canaries, the early host, then the guest (its enrollment label). */
export const rolloutBody = (guestLabel: string) => ({
  component: 'kernel',
  replaceSet: 0,
  to: VERSIONS.klpm_e2e_v2,
  waves: [
    { name: 'canary', select: { label: 'ring:canary' }, failureBudget: 0, soak: '0s', deadline: '1h' },
    { name: 'early', select: { label: 'ring:early' }, failureBudget: 0, soak: '0s', deadline: '1h' },
    { name: 'qemu', select: { label: guestLabel }, failureBudget: 0, soak: '0s', deadline: '1h' },
  ],
});

/**
 * Between the guest's first check-in (v1 applied) and its second: the simulated agents enroll and
 * report, the repository offers v2 (`offerV2`), a rollout of v2 starts, one canary applies, the
 * other posts a reversed transition (the rollout halts), the admin resumes, the early host applies,
 * and the guest's wave opens. The guest's second check-in then applies v2 for real.
 */
export async function driveRollout(
  api: Api,
  secrets: { canary: string; early: string },
  guestLabel: string,
  workDir: string,
  offerV2: () => Promise<void>,
): Promise<RolloutRecord> {
  const guests = await call(api, 'GET', `/v1/hosts?label=${encodeURIComponent(guestLabel)}`);
  const guestId = (guests.hosts as Json[])[0]?.id as string;
  const guestReport = (await call(api, 'GET', `/v1/hosts/${guestId}`)).report as Json;
  const before = guestReport.status as Json;
  const after = statusWithV2(before, workDir);
  const canaries: [SimulatedAgent, SimulatedAgent] = [
    await enrollSimulated(api, secrets.canary, 'canary-ok'),
    await enrollSimulated(api, secrets.canary, 'canary-stuck'),
  ];
  const early = await enrollSimulated(api, secrets.early, 'early-1');
  for (const agent of [...canaries, early]) await reportSimulated(api, agent, guestReport, before);
  await offerV2();

  const started = await call(api, 'POST', '/v1/rollouts', rolloutBody(guestLabel));
  const id = started.id as string;
  const guestPlanAtStart = await call(api, 'GET', `/v1/hosts/${guestId}/plan`);

  // the healthy canary: plan, an apply whose log is the prediction, then the report after it
  const okPlan = await reportSimulated(api, canaries[0], guestReport, before);
  const okSet = offeredSet(okPlan);
  await postEvent(api, canaries[0], {
    kind: 'apply',
    planHash: okPlan.planHash,
    outcome: 'ok',
    step: null,
    reason: '',
    blocking: [],
    log: okSet?.predictedLog ?? [],
    predictedLog: okSet?.predictedLog ?? [],
  });
  await reportSimulated(api, canaries[0], guestReport, after);

  // the injected failure: a transition that stalled on a sleeping task and was reversed
  const stuckPlan = await reportSimulated(api, canaries[1], guestReport, before);
  const stuckSet = offeredSet(stuckPlan);
  await postEvent(api, canaries[1], {
    kind: 'apply',
    planHash: stuckPlan.planHash,
    outcome: 'reversed',
    step: { index: 0, op: 'load', patch: 'klpm_e2e_v2' },
    reason: 'the transition did not complete within 60 s: 1 task blocking',
    blocking: [{ pid: 4242, comm: 'klpm-e2e-sleep' }],
    log: [],
    predictedLog: stuckSet?.predictedLog ?? [],
  });
  await reportSimulated(api, canaries[1], guestReport, before);
  const halted = await until(async () => {
    const view = await call(api, 'GET', `/v1/rollouts/${id}`);
    return view.state === 'halted' ? view : undefined;
  });
  const guestPlanHalted = await call(api, 'GET', `/v1/hosts/${guestId}/plan`);
  const earlyPlanHalted = await reportSimulated(api, early, guestReport, before);

  const resumed = await call(api, 'POST', `/v1/rollouts/${id}/resume`);
  await until(async () => {
    const view = await call(api, 'GET', `/v1/rollouts/${id}`);
    return view.waves[1].state === 'open' ? view : undefined;
  });
  const earlyPlan = await reportSimulated(api, early, guestReport, before);
  const earlySet = offeredSet(earlyPlan);
  await postEvent(api, early, {
    kind: 'apply',
    planHash: earlyPlan.planHash,
    outcome: 'ok',
    step: null,
    reason: '',
    blocking: [],
    log: earlySet?.predictedLog ?? [],
    predictedLog: earlySet?.predictedLog ?? [],
  });
  await reportSimulated(api, early, guestReport, after);
  const guestWaveOpen = await until(async () => {
    const view = await call(api, 'GET', `/v1/rollouts/${id}`);
    return view.waves[2].state === 'open' ? view : undefined;
  });
  const guestPlanOpen = await call(api, 'GET', `/v1/hosts/${guestId}/plan`);
  return {
    id,
    guestId,
    canaries,
    early,
    started,
    guestPlanAtStart,
    guestPlanHalted,
    earlyPlanHalted,
    canaryPlans: [okPlan, stuckPlan],
    halted,
    resumed,
    guestWaveOpen,
    guestPlanOpen,
  };
}
