import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveRollout, type Json, offeredSet, type RolloutRecord } from './harness/fleet-rollout.js';
import { comparedKernelLog, isComparedLine } from './harness/kernel-log.js';
import { E2E_DIR, type E2eKernel } from './harness/kernels.js';
import {
  commandOutput,
  GUEST_WORK,
  KLPM_BIN,
  klpmGuestScript,
  logOfCommand,
  prepareRepositories,
  VERSIONS,
} from './harness/klpm-guest.js';
import { e2eKernels, type GuestRun, runGuest } from './harness/qemu.js';
import { simulatedLog } from './harness/simulator.js';
import { normalizeListing, SERIES_ATTRIBUTES, simulatedListing } from './harness/sysfs-listing.js';

/**
 * The fleet on Debian's real 6.1 and 6.12 kernels under qemu, one boot per kernel: `klpm serve` runs
 * on this machine on 127.0.0.1, and the guest's `klpm agent once --apply auto` reaches it only through
 * qemu's user-mode network with `restrict=on` and one guestfwd (10.0.2.100:7470 to the server's
 * loopback port). The server's repository first offers v1: the agent enrolls, reports, gets v1
 * planned, plans again itself, fetches the module from the server and applies it. The repository
 * then changes to offer v2 (the test writes it and asks the server to re-read it) and the second
 * check-in upgrades to v2; a third reports the state after it and gets nothing to do. The sync points are files in the guest's work directory: the guest
 * waits for `go` to hold 1, then 2; the test waits for the guest's files.
 *
 * v2 comes through a rollout (docs/fleet.md, "Rollouts"): between the two check-ins, simulated
 * agents (harness/fleet-rollout.ts: hosts of the same server posting reports and events through
 * the API, on the guest's build and status) enroll as two canaries and an early wave, and a rollout
 * of v2 starts with the waves canary, early and the guest's. One canary applies; the other posts a
 * reversed transition, which halts the rollout naming it; the admin resumes; the early host
 * applies; only then is the guest's wave open, and its second check-in applies v2 for real.
 *
 * Checked: the waves opened in order, the guest was held below v2 until its wave opened, the halt
 * named the failing canary and the resume opened the next wave, and the rollout was done after the
 * guest's third check-in; both applies succeeded with the planned steps; the server shows the host `supported`
 * (covered), on the guest's build ID, with v2 applied and nothing more to do; each apply event's
 * real kernel log is the predicted one and is the guest's own kernel log of that check-in; the whole
 * kernel log and sysfs equal `klpm simulate` of e2e/klpm-scenarios/upgrade-v2.yaml (the steps an
 * apply of v1 then of v2 takes); and the guest could not reach the host any other way.
 */

const NO_SIGNALING = { signaling: false };
const GUEST_LABEL = 'site:qemu';
const SERVER = 'http://10.0.2.100:7470';
const AGENT = `agent once --server ${SERVER} --enroll-secret ${GUEST_WORK}/enroll-secret --apply auto --interval 10m --json`;

/** The guest's part: after klpmGuestScript has filled in the repositories and loaded the target. */
const GUEST_BODY = [
  // restrict=on: the server's port at the host's own address (slirp's 10.0.2.2 is its loopback) and
  // the forward's must answer differently
  `chroot /host "$KLPM_NODE" ${GUEST_WORK}/connect-probe.mjs 10.0.2.2 "$(cat /work/port)" >/work/out/direct.out 2>&1`,
  `chroot /host "$KLPM_NODE" ${GUEST_WORK}/connect-probe.mjs 10.0.2.100 7470 >/work/out/forward.out 2>&1`,
  'echo 1 >/work/ready',
  'wait_for /work/go 1 6000',
  `klpm agent1 ${AGENT}`,
  'wait_for /work/go 2 6000',
  `klpm agent2 ${AGENT}`,
  // the reports above were the state before each apply: this one is the state after, and asks nothing
  `klpm agent3 ${AGENT}`,
].join('\n');

interface FleetRun {
  readonly run: GuestRun;
  readonly buildId: string;
  // biome-ignore lint/suspicious/noExplicitAny: the API's and klpm's JSON; the expectations check it field by field
  readonly detail: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readonly agent: (label: string) => Record<string, any>;
  readonly rollout: RolloutRecord;
  /** the rollout after the guest's third check-in */
  readonly rolloutAfter: Json;
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly admin: string;
  readonly secret: string;
  /** the enrollment secrets of the simulated agents: labels ring:canary and ring:early */
  readonly simulated: { canary: string; early: string };
  readonly repo: string;
  readonly stderr: () => string;
}

const klpmCli = (args: string[]) =>
  execFileSync(process.execPath, [KLPM_BIN, ...args], { encoding: 'utf8' }).trim();

/** `klpm serve` on a fresh SQLite database, with a repository that offers nothing yet. */
async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-e2e-fleet-'));
  const db = join(dir, 'fleet.db');
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  writeIndex(repo, { format: 'klpm-repository-index', version: 1, updates: [] });
  const admin = klpmCli(['serve', 'token', 'create', '--db', db, '--role', 'admin']);
  const secret = klpmCli(['serve', 'enroll', 'create', '--db', db, '--label', GUEST_LABEL]);
  const simulated = {
    canary: klpmCli(['serve', 'enroll', 'create', '--db', db, '--label', 'ring:canary']),
    early: klpmCli(['serve', 'enroll', 'create', '--db', db, '--label', 'ring:early']),
  };
  const child = spawn(
    process.execPath,
    [KLPM_BIN, 'serve', '--db', db, '--repo', repo, '--listen', '127.0.0.1:0', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined)
        resolve((JSON.parse(line) as { listening: string }).listening);
    });
    child.once('exit', (code) => reject(new Error(`klpm serve exited ${code}: ${err}`)));
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    admin,
    secret,
    simulated,
    repo,
    stderr: () => err,
  };
}

function writeIndex(repo: string, index: unknown): void {
  writeFileSync(join(repo, 'index.json.tmp'), `${JSON.stringify(index, null, 2)}\n`);
  renameSync(join(repo, 'index.json.tmp'), join(repo, 'index.json'));
}

async function api(server: Server, method: string, path: string): Promise<unknown> {
  const answer = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.admin}` },
  });
  const body = await answer.json();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(body)}`);
  return body;
}

/** Waits for a file the guest writes (it is polled over the 9p share) or for the guest to end. */
async function waitFor(file: string, ended: () => boolean): Promise<void> {
  while (!existsSync(file)) {
    if (ended()) throw new Error(`the guest ended before it wrote ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The server's repository becomes the guest's `repo-v1` or `repo-v2` (the index the guest filled in
 * with its build ID, and the module files), and the server is asked to read it again.
 */
async function offer(server: Server, workDir: string, from: string): Promise<void> {
  const index = JSON.parse(readFileSync(join(workDir, from, 'index.json'), 'utf8')) as {
    updates: Array<{ livepatches: Array<{ file: string }> }>;
  };
  for (const update of index.updates)
    for (const livepatch of update.livepatches)
      copyFileSync(join(workDir, from, livepatch.file), join(server.repo, livepatch.file));
  writeIndex(server.repo, index);
  const refreshed = (await api(server, 'POST', '/v1/repository/refresh')) as { livepatches: number };
  expect(refreshed.livepatches).toBe(index.updates.length);
}

/** One boot: the guest checks in twice while this side changes the repository and rolls v2 out between. */
async function fleetRun(kernel: E2eKernel, server: Server): Promise<FleetRun> {
  let current = '';
  let ended = false;
  let driving: Promise<RolloutRecord | undefined> = Promise.resolve(undefined);
  const drive = async (workDir: string): Promise<RolloutRecord | undefined> => {
    const superseded = () => ended || current !== workDir;
    await waitFor(join(workDir, 'ready'), superseded);
    await offer(server, workDir, 'repo-v1');
    writeFileSync(join(workDir, 'go'), '1\n');
    await waitFor(join(workDir, 'out', 'agent1.rc'), superseded);
    const rollout = await driveRollout(server, server.simulated, GUEST_LABEL, workDir, () =>
      offer(server, workDir, 'repo-v2'),
    );
    writeFileSync(join(workDir, 'go'), '2\n');
    return rollout;
  };
  const prepare = (workDir: string) => {
    prepareRepositories(workDir);
    writeFileSync(join(workDir, 'enroll-secret'), `${server.secret}\n`);
    writeFileSync(join(workDir, 'port'), `${server.port}\n`);
    copyFileSync(join(E2E_DIR, 'guest', 'connect-probe.mjs'), join(workDir, 'connect-probe.mjs'));
    current = workDir;
    driving = drive(workDir);
  };
  const run = await runGuest(kernel, klpmGuestScript(GUEST_BODY), 900_000, prepare, {
    forwards: [{ guest: '10.0.2.100:7470', hostPort: server.port }],
  });
  ended = true;
  const rollout = await driving;
  if (rollout === undefined) throw new Error(`the ${kernel.release} guest's run did not reach the rollout`);
  const agent = (label: string) => {
    const { out, err, rc } = commandOutput(run.workDir, label);
    try {
      return JSON.parse(out);
    } catch {
      throw new Error(
        `klpm ${label} printed no JSON (exit ${rc}): ${out}${err}\nserver: ${server.stderr().slice(-2000)}`,
      );
    }
  };
  const hosts = (await api(server, 'GET', `/v1/hosts?label=${GUEST_LABEL}`)) as {
    hosts: Array<{ id: string }>;
  };
  expect(hosts.hosts).toHaveLength(1);
  const id = hosts.hosts[0]?.id ?? '';
  expect(id).toBe(rollout.guestId);
  return {
    run,
    buildId: readFileSync(join(run.workDir, 'out', 'build-id'), 'utf8').trim(),
    // biome-ignore lint/suspicious/noExplicitAny: see FleetRun
    detail: (await api(server, 'GET', `/v1/hosts/${id}`)) as Record<string, any>,
    agent,
    rollout,
    rolloutAfter: (await api(server, 'GET', `/v1/rollouts/${rollout.id}`)) as Json,
  };
}

const companion = join(E2E_DIR, 'klpm-scenarios', 'upgrade-v2.yaml');

const { kernels, skipReason } = e2eKernels('the fleet agent on real kernels');

describe.skipIf(skipReason !== undefined)('klpm agent and klpm serve with a real kernel under qemu', () => {
  const runs = new Map<string, FleetRun>();
  const servers: Server[] = [];

  beforeAll(async () => {
    await Promise.all(
      kernels.map(async (kernel) => {
        const server = await startServer();
        servers.push(server);
        runs.set(kernel.series, await fleetRun(kernel, server));
      }),
    );
  }, 1_800_000);

  afterAll(() => {
    for (const server of servers) server.child.kill('SIGTERM');
  });

  for (const kernel of kernels) {
    const get = () => {
      const run = runs.get(kernel.series);
      if (!run) throw new Error(`no guest run for ${kernel.release}`);
      return run;
    };

    it(`${kernel.release}: the guest reaches the server through the guestfwd only`, () => {
      const { run } = get();
      expect(commandOutput(run.workDir, 'forward').out).toBe('connected\n');
      expect(commandOutput(run.workDir, 'direct').out).toMatch(
        /^(timeout|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)\n$/,
      );
    });

    it(`${kernel.release}: the rollout opens its waves in order and holds the guest below v2 until its wave opens`, () => {
      const { rollout } = get();
      const v2 = VERSIONS.klpm_e2e_v2;
      expect(rollout.started).toMatchObject({ state: 'running', to: v2, outOfScope: [], inNoWave: 0 });
      expect(rollout.started.waves).toMatchObject([
        { name: 'canary', state: 'open', hosts: 2, pending: 2 },
        { name: 'early', state: 'pending', hosts: 1 },
        { name: 'qemu', state: 'pending', hosts: 1 },
      ]);
      // the canaries are offered v2, the guest the newest before it (v1) while its wave waits
      for (const plan of rollout.canaryPlans) expect(offeredSet(plan)?.to).toBe(v2);
      expect(offeredSet(rollout.guestPlanAtStart)?.to).toBe(VERSIONS.klpm_e2e_v1);
      const waves = rollout.guestWaveOpen.waves as Json[];
      expect(waves.map((w) => w.state)).toEqual(['done', 'done', 'open']);
      expect(waves).toMatchObject([
        { applied: 1, failed: 1 },
        { applied: 1, failed: 0 },
        { applied: 0, pending: 1 },
      ]);
      // each wave opened once the one before it completed
      for (let i = 1; i < waves.length; i++)
        expect(Date.parse(waves[i]?.openedAt)).toBeGreaterThanOrEqual(Date.parse(waves[i - 1]?.completedAt));
      expect(offeredSet(rollout.guestPlanOpen)?.to).toBe(v2);
    });

    it(`${kernel.release}: the canary's reversed transition halts the rollout naming it; the resume opens the next wave`, () => {
      const { rollout } = get();
      const stuck = rollout.canaries[1].id;
      expect(rollout.halted).toMatchObject({ state: 'halted', haltedHosts: [stuck] });
      expect(rollout.halted.reason).toContain(stuck);
      expect(rollout.halted.reason).toContain('reversed');
      expect(rollout.halted.waves).toMatchObject([
        { state: 'open', applied: 1, failed: 1, failures: [{ host: stuck, acknowledged: false }] },
        { state: 'pending' },
        { state: 'pending' },
      ]);
      // halted, nothing moves: the early host and the guest stay below v2
      expect(offeredSet(rollout.earlyPlanHalted)?.to).toBe(VERSIONS.klpm_e2e_v1);
      expect(offeredSet(rollout.guestPlanHalted)?.to).toBe(VERSIONS.klpm_e2e_v1);
      expect(rollout.resumed.state).toBe('running');
      expect(rollout.resumed.waves[0]).toMatchObject({
        state: 'done',
        failures: [{ host: stuck, acknowledged: true }],
      });
      expect(rollout.resumed.waves[1].state).toBe('open');
    });

    it(`${kernel.release}: the guest's real apply of v2 completes its wave and the rollout`, () => {
      const o = get();
      expect(o.rolloutAfter.state).toBe('done');
      expect(o.rolloutAfter.waves[2]).toMatchObject({
        name: 'qemu',
        state: 'done',
        hosts: 1,
        applied: 1,
        failed: 0,
        failures: [],
      });
      // the v2 the guest applied is the one its wave's plan offered
      expect(o.agent('agent2').plan.sets[0].to).toBe(VERSIONS.klpm_e2e_v2);
    });

    it(`${kernel.release}: the agent applies v1, then v2 once the rollout's wave opened`, () => {
      const o = get();
      const first = o.agent('agent1');
      expect(commandOutput(o.run.workDir, 'agent1')).toMatchObject({ rc: 0, err: '' });
      expect(first).toMatchObject({
        enrolled: true,
        plan: { sets: [{ kind: 'first-load', to: VERSIONS.klpm_e2e_v1 }] },
        applied: { kind: 'apply', outcome: 'ok' },
      });
      const second = o.agent('agent2');
      expect(commandOutput(o.run.workDir, 'agent2')).toMatchObject({ rc: 0, err: '' });
      expect(second).toMatchObject({
        enrolled: false,
        hostId: first.hostId,
        plan: {
          sets: [
            {
              kind: 'upgrade-atomic',
              to: VERSIONS.klpm_e2e_v2,
              steps: [
                { op: 'load', patch: 'klpm_e2e_v2' },
                { op: 'unload', patch: 'klpm_e2e_v1' },
              ],
            },
          ],
        },
        applied: { kind: 'apply', outcome: 'ok', planHash: second.plan.planHash },
      });
    });

    it(`${kernel.release}: the server shows the host covered, on its build, with v2 applied`, () => {
      const o = get();
      expect(commandOutput(o.run.workDir, 'agent3')).toMatchObject({ rc: 0, err: '' });
      expect(o.agent('agent3')).toMatchObject({ plan: { steps: [] }, applied: null });
      expect(o.detail.host).toMatchObject({
        buildId: o.buildId,
        release: kernel.release,
        status: 'supported',
        reboot: 'no',
        labels: ['site:qemu'],
      });
      expect(o.detail.report.status.patches).toMatchObject([
        { name: 'klpm_e2e_v2', enabled: true, transition: false },
      ]);
      expect(o.detail.plan).toMatchObject({ outcome: 'planned', steps: [] });
    });

    it(`${kernel.release}: each apply event's real kernel log is the predicted one, and the guest's own`, () => {
      const o = get();
      const applies = (o.detail.events as Array<{ kind: string; detail: Record<string, unknown> }>)
        .filter((e) => e.kind === 'apply')
        .reverse(); // newest first in the answer
      expect(applies.map((e) => e.detail.outcome)).toEqual(['ok', 'ok']);
      for (const [i, label] of ['agent1', 'agent2'].entries()) {
        const detail = applies[i]?.detail as { log: string[]; predictedLog: string[]; planHash: string };
        expect(detail.planHash, label).toBe(o.agent(label).plan.planHash);
        expect(detail.log.length, label).toBeGreaterThan(0);
        expect(detail.log, label).toEqual(detail.predictedLog);
        expect(
          detail.log.filter((line) => isComparedLine(line, NO_SIGNALING)),
          label,
        ).toEqual(comparedKernelLog(logOfCommand(o.run.dmesg, label), NO_SIGNALING));
      }
    });

    it(`${kernel.release}: the kernel log and sysfs equal klpm simulate of an apply of v1, then of v2`, () => {
      const o = get();
      expect(comparedKernelLog(o.run.dmesg, NO_SIGNALING)).toEqual(simulatedLog(companion, NO_SIGNALING));
      expect(normalizeListing(o.run.sysfs)).toEqual(
        simulatedListing(readFileSync(companion, 'utf8'), companion, SERIES_ATTRIBUTES[kernel.series] ?? []),
      );
    });
  }
});
