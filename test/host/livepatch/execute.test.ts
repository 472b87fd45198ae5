import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  acquireLock,
  type ExecuteOptions,
  executePlan,
  LockBusyError,
  openJournal,
  type ProgressEvent,
} from '../../../src/host/index.js';
import { patchManifestSchema } from '../../../src/klp/index.js';
import { assemblePlan, type HostLivepatchState, isRefused, type Plan } from '../../../src/plan/index.js';
import { SimulatedKernel } from '../../support/simulated-kernel.js';

const v1 = patchManifestSchema.parse({
  name: 'lp_v1',
  replace: true,
  states: [{ id: 1, version: 1 }],
  objects: [{ name: 'busy', funcs: ['busy_fn'], callbacks: 'all' }],
});
const v2 = patchManifestSchema.parse({ ...v1, name: 'lp_v2', states: [{ id: 1, version: 2 }] });
const files = new Map([
  ['/lp/v1.ko', v1],
  ['/lp/v2.ko', v2],
]);
const compare = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function kernel(): SimulatedKernel {
  const k = new SimulatedKernel('replace-bool', files, [{ name: 'busy', funcs: ['busy_fn'] }]);
  k.step({ load: 'busy' });
  return k;
}

function hostOf(k: SimulatedKernel, versions: Record<string, string>): HostLivepatchState {
  return {
    kind: 'replace-bool',
    attributes: ['replace'],
    modules: ['busy'],
    patches: k.system.patches.map((p) => ({
      manifest: [...files.values()].find((m) => m.name === p.name)!,
      to: versions[p.name],
      enabled: p.enabled,
      transition: k.system.transition?.patch === p.name,
    })),
  };
}

function planFor(k: SimulatedKernel, file: string, version: string): Plan {
  const result = assemblePlan(
    hostOf(k, { lp_v1: '1', lp_v2: '2' }),
    { type: 'apply', patch: { manifest: files.get(file)!, version, file } },
    compare,
  );
  if (isRefused(result)) throw new Error(result.reason);
  return result;
}

function setup(overrides: Partial<ExecuteOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-apply-'));
  const journal = openJournal(join(dir, 'var/lib/klpm/journal.db'));
  const progress: ProgressEvent[] = [];
  const options: ExecuteOptions = {
    transitionTimeoutMs: 3000,
    signalTimeoutMs: 2000,
    settleTimeoutMs: 2000,
    pollMs: 500,
    force: false,
    verifyBeforeLoad: async () => {},
    now: () => new Date('2026-11-22T00:00:00Z'),
    onProgress: (e) => progress.push(e),
    ...overrides,
  };
  return { dir, journal, progress, options };
}

describe('executePlan', () => {
  it('applies v1, then upgrades to v2 atomically and unloads v1; the journal records every step', async () => {
    const k = kernel();
    const { journal, options } = setup();
    expect((await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options)).ok).toBe(true);
    const upgrade = planFor(k, '/lp/v2.ko', '2');
    expect(upgrade.kind).toBe('upgrade-atomic');
    const result = await executePlan(upgrade, k, journal, options);
    expect(result.ok).toBe(true);
    expect(k.calls).toEqual(['insmod /lp/v1.ko', 'insmod /lp/v2.ko', 'rmmod lp_v1']);
    expect([...k.system.modules.keys()]).toEqual(['busy', 'lp_v2']);
    const [last] = journal.lastRuns(1);
    expect(last?.state).toBe('done');
    expect([...last!.steps.values()]).toEqual(['done', 'done']);
  });

  it('a stalled transition is signalled, then reversed; the blocking task is reported and v1 is unloaded again', async () => {
    const k = kernel();
    k.step({ block: { task: 'kworker', func: 'busy_fn' } });
    const { journal, options, progress } = setup();
    const result = await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options);
    expect(result.ok).toBe(false);
    expect(result.failed?.reason).toBe(
      "the transition of 'lp_v1' stalled and was reversed: the patch is not applied; blocking tasks: kworker:100",
    );
    expect(k.calls).toEqual([
      'insmod /lp/v1.ko',
      'echo 1 > lp_v1/signal',
      'echo 0 > lp_v1/enabled',
      'rmmod lp_v1',
    ]);
    expect(progress.filter((p) => p.type === 'reverse')).toEqual([
      { type: 'reverse', patch: 'lp_v1', blocking: [{ pid: 100, comm: 'kworker' }] },
    ]);
    expect([...k.system.modules.keys()]).toEqual(['busy']);
    expect(journal.lastRuns(1)[0]?.state).toBe('failed');
  });

  it('a task that leaves within the wait lets the transition complete without a signal', async () => {
    const k = kernel();
    k.step({ block: { task: 'kworker', func: 'busy_fn' } });
    k.at(1500, { unblock: 'kworker' });
    const { journal, options } = setup();
    expect((await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options)).ok).toBe(true);
    expect(k.calls).toEqual(['insmod /lp/v1.ko']);
  });

  it('the signal frees a task in an interruptible sleep', async () => {
    const k = kernel();
    k.step({ block: { task: 'reader', func: 'busy_fn', interruptible: true } });
    const { journal, options } = setup();
    expect((await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options)).ok).toBe(true);
    expect(k.calls).toEqual(['insmod /lp/v1.ko', 'echo 1 > lp_v1/signal']);
  });

  it('with force, a stalled replace completes and the replaced module can never be unloaded', async () => {
    const k = kernel();
    const { journal, options, progress } = setup({ force: true });
    await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options);
    k.step({ block: { task: 'kworker', func: 'busy_fn' } });
    const result = await executePlan(planFor(k, '/lp/v2.ko', '2'), k, journal, options);
    expect(progress.some((p) => p.type === 'force')).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.failed?.reason).toMatch(/could not unload 'lp_v1': .*EAGAIN/);
    expect(k.system.patches.map((p) => p.name)).toEqual(['lp_v2']);
  });

  it('a file the verification refuses is never loaded', async () => {
    const k = kernel();
    const { journal, options } = setup({
      verifyBeforeLoad: async (step) => {
        throw new Error(`sha256 of ${step.file} does not match the repository`);
      },
    });
    const result = await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options);
    expect(result).toMatchObject({
      ok: false,
      failed: { reason: 'sha256 of /lp/v1.ko does not match the repository' },
    });
    expect(k.calls).toEqual([]);
  });

  it('an apply killed at any call and resumed ends where an uninterrupted apply ends', async () => {
    const reference = kernel();
    const ref = setup();
    await executePlan(planFor(reference, '/lp/v1.ko', '1'), reference, ref.journal, ref.options);
    const upgrade = planFor(reference, '/lp/v2.ko', '2');
    await executePlan(upgrade, reference, ref.journal, ref.options);
    const expected = JSON.stringify([
      ...reference.system.modules.keys(),
      reference.system.patches.map((p) => p.name),
    ]);

    const kills = ['insmod /lp/v2.ko', 'rmmod lp_v1'].flatMap((call) => [
      { call, when: 'before' as const },
      { call, when: 'after' as const },
    ]);
    for (const killAt of kills) {
      const k = kernel();
      const { journal, options } = setup();
      await executePlan(planFor(k, '/lp/v1.ko', '1'), k, journal, options);
      k.killAt = killAt;
      void executePlan(upgrade, k, journal, options); // never settles: klpm is frozen, then gone
      await new Promise((resolve) => setTimeout(resolve, 20));
      const unfinished = journal.findUnfinishedRun();
      expect(unfinished?.plan.kind).toBe('upgrade-atomic');
      const resumed = await executePlan(unfinished!.plan, k, journal, options, unfinished);
      expect(resumed, `killed ${killAt.when} ${killAt.call}`).toMatchObject({ ok: true });
      expect(JSON.stringify([...k.system.modules.keys(), k.system.patches.map((p) => p.name)])).toBe(
        expected,
      );
      expect(journal.findUnfinishedRun()).toBeUndefined();
    }
  });

  it('a run that died after its last step is resumed as done (each step checks what already happened)', async () => {
    const k = kernel();
    const { journal, options } = setup();
    const plan = planFor(k, '/lp/v1.ko', '1');
    const runId = journal.startRun(plan, options.now());
    await k.insmod('/lp/v1.ko');
    const unfinished = journal.findUnfinishedRun();
    expect(unfinished?.id).toBe(runId);
    const resumed = await executePlan(plan, k, journal, options, unfinished);
    expect(resumed.ok).toBe(true);
    expect(journal.lastRuns(1)[0]?.steps.get(0)).toBe('skipped');
  });
});

describe('lock', () => {
  it('one klpm at a time; a lock left by a dead process is taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-lock-'));
    const path = join(dir, 'klpm.lock');
    const lock = acquireLock(path);
    expect(() => acquireLock(path)).toThrow(LockBusyError);
    lock.release();
    writeFileSync(path, '999999999\n');
    acquireLock(path).release();
  });
});
