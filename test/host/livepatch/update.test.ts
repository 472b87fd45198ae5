import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockBusyError, openJournal } from '../../../src/host/index.js';
import { runUpdate, type UpdateOptions } from '../../../src/host/livepatch/update.js';
import { statePath } from '../../../src/host/paths.js';
import { type PatchManifestInput, patchManifestSchema } from '../../../src/klp/index.js';
import type { UpdateRequest } from '../../../src/plan/index.js';
import { parseRepositoryIndex } from '../../../src/repo/index.js';
import { writeModule } from '../../support/elf-writer.js';
import { SimulatedKernel } from '../../support/simulated-kernel.js';

const RELEASE = '6.12.117+deb12-amd64';
const BUILD = '00112233445566778899aabbccddeeff00112233';
const OTHER_BUILD = 'ffeeddccbbaa99887766554433221100ffeeddcc';

const manifest = (name: string, version: number, funcs: string[]): PatchManifestInput => ({
  name,
  replace: true,
  states: [{ id: 1, version }],
  objects: [{ name: 'busy', funcs, callbacks: 'all' }],
});
const MANIFESTS = {
  lp_v1: manifest('lp_v1', 1, ['busy_fn']),
  lp_v2: manifest('lp_v2', 2, ['busy_fn', 'other_fn']),
  lp_v3: manifest('lp_v3', 3, ['busy_fn', 'other_fn']),
};
type Name = keyof typeof MANIFESTS;

/** A machine: a directory with livepatch module files and a simulated kernel that loads them. */
function machine(options: { vermagic?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-update-'));
  mkdirSync(join(dir, 'repo'));
  const files = new Map<string, ReturnType<typeof patchManifestSchema.parse>>();
  const sha = new Map<Name, string>();
  for (const name of Object.keys(MANIFESTS) as Name[]) {
    const bytes = writeModule({
      modinfo: [
        `name=${name}`,
        'livepatch=Y',
        `vermagic=${options.vermagic ?? RELEASE} SMP preempt mod_unload modversions `,
      ],
    });
    const file = join(dir, 'repo', `${name}.ko`);
    writeFileSync(file, bytes);
    files.set(file, patchManifestSchema.parse(MANIFESTS[name]));
    sha.set(name, createHash('sha256').update(bytes).digest('hex'));
  }
  const kernel = new SimulatedKernel('replace-bool', files, [
    { name: 'busy', funcs: ['busy_fn', 'other_fn'] },
  ]);
  kernel.release = RELEASE;
  kernel.buildId = BUILD;
  kernel.step({ load: 'busy' });
  return { dir, kernel, sha };
}

type Machine = ReturnType<typeof machine>;

/** klpm's JSON index: one update per entry, in order; each entry a livepatch of `name` to `to`. */
function repository(
  m: Machine,
  entries: Array<{ name: Name; to: string; bases?: string[]; sha256?: string | null }>,
) {
  const updates = entries.map((e, i) => ({
    id: `U-${i + 1}`,
    issued: `2026-11-0${i + 1}`,
    livepatches: (e.bases ?? [BUILD]).map((base) => ({
      component: 'kernel',
      baseBuildId: base,
      base: '6.12.117-1',
      to: e.to,
      file: `${e.name}.ko`,
      ...(e.sha256 === null ? {} : { sha256: e.sha256 ?? m.sha.get(e.name) }),
      manifest: MANIFESTS[e.name],
    })),
  }));
  const parsed = parseRepositoryIndex(
    JSON.stringify({ format: 'klpm-repository-index', version: 1, updates }),
    'index.json',
  );
  // as loadRepository leaves it: files made absolute inside the repository directory
  const directory = join(m.dir, 'repo');
  return {
    ...parsed,
    directory,
    updates: parsed.updates.map((u) => ({
      ...u,
      livepatches: u.livepatches.map((lp) => ({ ...lp, file: join(directory, lp.file!) })),
    })),
  };
}

/** The report of an update; a request the repository cannot answer or plan throws its reason. */
async function run(
  m: Machine,
  repo: ReturnType<typeof repository>,
  request: UpdateRequest,
  more: Partial<UpdateOptions> = {},
) {
  const result = await runUpdate(m.kernel, {
    root: m.dir,
    repository: repo,
    request,
    dryRun: false,
    force: false,
    transitionTimeoutMs: 3000,
    signalTimeoutMs: 2000,
    settleTimeoutMs: 2000,
    pollMs: 500,
    time: { now: Date.parse('2026-11-22T00:00:00Z'), expiryWindowDays: 30 },
    now: () => new Date('2026-11-22T00:00:00Z'),
    onPlan: () => {},
    onResume: () => {},
    onProgress: () => {},
    ...more,
  });
  if (result.kind === 'report') return result.report;
  throw new Error(result.kind === 'bad-request' ? result.reason : `missing ${result.missing}`);
}

const loaded = (m: Machine) => m.kernel.system.patches.map((p) => `${p.name}:${p.enabled ? 'on' : 'off'}`);
const V1 = { name: 'lp_v1', to: '6.12.117-1.1' } as const;
const V2 = { name: 'lp_v2', to: '6.12.117-1.2' } as const;

describe('runUpdate: apply', () => {
  it('loads the newest cumulative livepatch of the running build, and says so in the plan and the journal', async () => {
    const m = machine();
    const report = await run(m, repository(m, [V1, V2]), { type: 'apply' });
    expect(report.outcome).toBe('done');
    expect(report.kernel).toEqual({ release: RELEASE, buildId: BUILD });
    expect(report.plans.map((p) => ('kind' in p.plan ? p.plan.kind : 'refused'))).toEqual(['first-load']);
    expect(m.kernel.calls).toEqual([`insmod ${join(m.dir, 'repo/lp_v2.ko')}`]);
    expect(loaded(m)).toEqual(['lp_v2:on']);
    const journal = openJournal(statePath(m.dir, 'journal'));
    expect(journal.lastRuns(1)[0]?.state).toBe('done');
    journal.close();
  });

  it('upgrades v1 to v2 atomically (replace=1 and no other set loaded), then has nothing to do', async () => {
    const m = machine();
    await run(m, repository(m, [V1]), { type: 'apply' });
    const upgrade = await run(m, repository(m, [V1, V2]), { type: 'apply' });
    expect(upgrade.outcome).toBe('done');
    expect(upgrade.plans[0]?.plan).toMatchObject({ kind: 'upgrade-atomic' });
    expect(m.kernel.calls.slice(1)).toEqual([`insmod ${join(m.dir, 'repo/lp_v2.ko')}`, 'rmmod lp_v1']);
    expect(loaded(m)).toEqual(['lp_v2:on']);
    const again = await run(m, repository(m, [V1, V2]), { type: 'apply' });
    expect(again.outcome).toBe('nothing');
    expect(again.reason).toContain('already runs the newest livepatch (6.12.117-1.2)');
  });

  it('a build the newest update no longer lists is end of life: nothing is loaded, a reboot is needed', async () => {
    const m = machine();
    const repo = repository(m, [V1, { ...V2, bases: [OTHER_BUILD] }]);
    const report = await run(m, repo, { type: 'apply' });
    expect(report.outcome).toBe('reboot');
    expect(report.reason).toContain('no longer cover build 00112233');
    expect(m.kernel.calls).toEqual([]);
  });

  it('refuses, before any change, a file whose sha256 is not the promised one', async () => {
    const m = machine();
    const report = await run(m, repository(m, [{ ...V2, sha256: 'a'.repeat(64) }]), { type: 'apply' });
    expect(report.outcome).toBe('refused');
    expect(report.reason).toMatch(
      /lp_v2\.ko: sha256 is [0-9a-f]{64}, the repository promises a{64}: refusing to load patch 'lp_v2'$/,
    );
    expect(m.kernel.calls).toEqual([]);
  });

  it('refuses a file the repository gives no sha256 for', async () => {
    const m = machine();
    const report = await run(m, repository(m, [{ ...V2, sha256: null }]), { type: 'apply' });
    expect(report.outcome).toBe('refused');
    expect(report.reason).toContain("the repository gives no sha256 for patch 'lp_v2'");
  });

  it('refuses a module built for another kernel release (vermagic)', async () => {
    const m = machine({ vermagic: '6.12.115+deb12-amd64' });
    const report = await run(m, repository(m, [V2]), { type: 'apply' });
    expect(report.outcome).toBe('refused');
    expect(report.reason).toContain(
      "vermagic '6.12.115+deb12-amd64 SMP preempt mod_unload modversions ' is for kernel 6.12.115+deb12-amd64, the running kernel is 6.12.117+deb12-amd64",
    );
    expect(m.kernel.calls).toEqual([]);
  });

  it('a stalled upgrade is reversed: v1 stays, v2 is unloaded again, the blocking task is named', async () => {
    const m = machine();
    await run(m, repository(m, [V1]), { type: 'apply' });
    m.kernel.step({ block: { task: 'kworker', func: 'busy_fn' } });
    const report = await run(m, repository(m, [V1, V2]), { type: 'apply' });
    expect(report.outcome).toBe('failed');
    expect(report.result?.failed?.blocking).toEqual([{ pid: 100, comm: 'kworker' }]);
    expect(report.reason).toContain("the transition of 'lp_v2' stalled and was reversed");
    expect(loaded(m)).toEqual(['lp_v1:on']);
  });

  it('a patch the repository does not know blocks a replace=1 apply on a replace-bool kernel', async () => {
    const m = machine();
    m.kernel.step({ load: 'lp_v3' });
    const report = await run(m, repository(m, [V1]), { type: 'apply' });
    expect(report.outcome).toBe('refused');
    expect(report.reason).toBe(
      "'lp_v3' is loaded but not in the repository: klpm cannot tell which replace set it belongs to; take it out first (klpm unload lp_v3)",
    );
  });

  it('a dry run plans and verifies but takes no lock, writes no journal and changes nothing', async () => {
    const m = machine();
    const report = await run(m, repository(m, [V1]), { type: 'apply' }, { dryRun: true });
    expect(report.outcome).toBe('dry-run');
    expect(report.plans[0]?.plan.predictedLog).toContain("livepatch: enabling patch 'lp_v1'");
    expect(m.kernel.calls).toEqual([]);
  });

  it('another klpm holding the lock stops this one', async () => {
    const m = machine();
    mkdirSync(join(m.dir, 'var/lib/klpm'), { recursive: true });
    writeFileSync(statePath(m.dir, 'lock'), `${process.ppid}\n`);
    await expect(run(m, repository(m, [V1]), { type: 'apply' })).rejects.toBeInstanceOf(LockBusyError);
  });

  it('a klpm killed mid-plan is resumed by the next apply, which ends where an uninterrupted one would', async () => {
    const m = machine();
    await run(m, repository(m, [V1]), { type: 'apply' });
    m.kernel.killAt = { call: `insmod ${join(m.dir, 'repo/lp_v2.ko')}`, when: 'after' };
    void run(m, repository(m, [V1, V2]), { type: 'apply' }); // never returns: klpm "dies" after insmod
    await new Promise((resolve) => setTimeout(resolve, 50));
    // the dead klpm's lock names a pid that no longer exists
    writeFileSync(statePath(m.dir, 'lock'), '4194000\n');
    const dry = await run(m, repository(m, [V1, V2]), { type: 'apply' }, { dryRun: true });
    expect(dry.pending).toEqual({ runId: 2, kind: 'upgrade-atomic' });
    const resumed: number[] = [];
    const report = await run(
      m,
      repository(m, [V1, V2]),
      { type: 'apply' },
      { onResume: (id) => resumed.push(id) },
    );
    expect(resumed).toEqual([2]);
    expect(report.resumed?.result.ok).toBe(true);
    expect(report.outcome).toBe('done');
    expect(loaded(m)).toEqual(['lp_v2:on']);
    expect(m.kernel.system.modules.has('lp_v1')).toBe(false);
  });
});

describe('runUpdate: rollback and unload', () => {
  it('rollback goes to the newest older version: disable v2, wait for it to go, unload, load v1', async () => {
    const m = machine();
    const repo = repository(m, [V1, V2]);
    await run(m, repo, { type: 'apply' });
    const report = await run(m, repo, { type: 'rollback' });
    expect(report.outcome).toBe('done');
    expect(report.plans[0]?.plan).toMatchObject({
      kind: 'downgrade',
      steps: [
        { op: 'disable', patch: 'lp_v2' },
        { op: 'wait-removed', patch: 'lp_v2' },
        { op: 'unload', patch: 'lp_v2' },
        { op: 'load', patch: 'lp_v1', version: '6.12.117-1.1' },
      ],
    });
    expect(loaded(m)).toEqual(['lp_v1:on']);
  });

  it('rollback --to names the version; a version the repository does not offer is an error', async () => {
    const m = machine();
    const repo = repository(m, [V1, V2, { name: 'lp_v3', to: '6.12.117-1.3' }]);
    await run(m, repo, { type: 'apply' });
    expect((await run(m, repo, { type: 'rollback', to: '6.12.117-1.1' })).outcome).toBe('done');
    expect(loaded(m)).toEqual(['lp_v1:on']);
    await expect(run(m, repo, { type: 'rollback', to: '6.12.117-1.9' })).rejects.toThrow(
      'the repository offers no livepatch 6.12.117-1.9 for kernel build 00112233445566778899aabbccddeeff00112233',
    );
  });

  it('rollback from the oldest version removes the patch; unload of a patch not loaded has nothing to do', async () => {
    const m = machine();
    const repo = repository(m, [V1]);
    await run(m, repo, { type: 'apply' });
    const report = await run(m, repo, { type: 'rollback' });
    expect(report.plans[0]?.plan).toMatchObject({ kind: 'removal' });
    expect(loaded(m)).toEqual([]);
    expect((await run(m, repo, { type: 'unload', patch: 'lp_v1' })).outcome).toBe('nothing');
  });

  it('unload takes out a patch the repository does not know, with no build ID needed', async () => {
    const m = machine();
    m.kernel.step({ load: 'lp_v3' });
    m.kernel.buildId = undefined;
    const report = await run(m, repository(m, []), { type: 'unload', patch: 'lp_v3' });
    expect(report.outcome).toBe('done');
    expect(m.kernel.calls).toEqual(['echo 0 > lp_v3/enabled', 'rmmod lp_v3']);
    expect(loaded(m)).toEqual([]);
  });
});
