import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeModule } from '../support/elf-writer.js';
import { runCli } from '../support/run-cli.js';

const RELEASE = '6.1.0-56-amd64';
const BUILD = '00112233445566778899aabbccddeeff00112233';

/** /sys/kernel/notes: one ELF note, n_namesz=4 n_descsz=20 n_type=3 (NT_GNU_BUILD_ID), "GNU\0", the ID. */
function notes(buildId: string): Buffer {
  const desc = Buffer.from(buildId, 'hex');
  const head = Buffer.alloc(12);
  head.writeUInt32LE(4, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(3, 8);
  return Buffer.concat([head, Buffer.from('GNU\0'), desc]);
}

/** A machine root as klpm reads it, with the repository at its default place, var/lib/klpm/repo. */
function root(options: { buildId?: string | null; sha256?: string; bases?: string[] } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-cli-update-'));
  mkdirSync(join(dir, 'sys/kernel/livepatch'), { recursive: true });
  mkdirSync(join(dir, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(join(dir, 'proc/sys/kernel/osrelease'), `${RELEASE}\n`);
  writeFileSync(join(dir, 'proc/modules'), 'busy 16384 0 - Live 0x0 (O)\n');
  if (options.buildId !== null) writeFileSync(join(dir, 'sys/kernel/notes'), notes(options.buildId ?? BUILD));
  const repo = join(dir, 'var/lib/klpm/repo');
  mkdirSync(repo, { recursive: true });
  const bytes = writeModule({
    modinfo: ['name=lp_v1', 'livepatch=Y', `vermagic=${RELEASE} SMP mod_unload modversions `],
  });
  writeFileSync(join(repo, 'lp_v1.ko'), bytes);
  const index = {
    format: 'klpm-repository-index',
    version: 1,
    updates: [
      {
        id: 'U-1',
        issued: '2026-11-01',
        livepatches: (options.bases ?? [BUILD]).map((base) => ({
          component: 'kernel',
          baseBuildId: base,
          base: '6.1.0-56',
          to: '6.1.0-56.1',
          file: 'lp_v1.ko',
          sha256: options.sha256 ?? createHash('sha256').update(bytes).digest('hex'),
          manifest: { name: 'lp_v1', replace: true, objects: [{ name: 'busy', funcs: ['busy_fn'] }] },
        })),
      },
    ],
  };
  writeFileSync(join(repo, 'index.json'), JSON.stringify(index));
  return dir;
}

describe('klpm apply', () => {
  it('--dry-run prints the plan, the predicted kernel log and that nothing changed', async () => {
    const dir = root();
    const out = await runCli(['apply', '--root', dir, '--dry-run']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(
      [
        'replace set 0: first-load',
        `  1. load lp_v1 6.1.0-56.1 from ${join(dir, 'var/lib/klpm/repo/lp_v1.ko')}`,
        '  predicted kernel log:',
        "    livepatch: enabling patch 'lp_v1'",
        "    livepatch: 'lp_v1': initializing patching transition  (debug)",
        "    livepatch: 'lp_v1': starting patching transition",
        "    livepatch: 'lp_v1': completing patching transition  (debug)",
        "    livepatch: 'lp_v1': patching complete",
        '  (debug): printed only with dynamic debug on; a stock dmesg lacks the line',
        `dry run: nothing was changed (kernel ${RELEASE} (build ID ${BUILD})); run again with --yes to carry the plan out`,
        '',
      ].join('\n'),
    );
  });

  it('--json prints one document with the kernel, the plans and the exit code', async () => {
    const out = await runCli(['apply', '--root', root(), '--dry-run', '--json']);
    const doc = JSON.parse(out.stdout);
    expect(doc).toMatchObject({
      kernel: { release: RELEASE, buildId: BUILD },
      resumed: null,
      result: null,
      outcome: 'dry-run',
      exitCode: 0,
      plans: [
        { replaceSet: 0, kind: 'first-load', steps: [{ op: 'load', patch: 'lp_v1', version: '6.1.0-56.1' }] },
      ],
    });
    expect(doc.plans[0].predictedLog[0]).toBe("livepatch: enabling patch 'lp_v1'");
  });

  it('changing the kernel needs --yes, and root', async () => {
    const dir = root();
    expect(await runCli(['apply', '--root', dir])).toMatchObject({
      code: 2,
      stderr: 'klpm: klpm apply changes the running kernel: pass --yes, or --dry-run to see the plan\n',
    });
    expect(await runCli(['rollback', '--root', dir, '--yes'], {}, 1000)).toMatchObject({
      code: 2,
      stderr: 'klpm: klpm rollback changes the running kernel and needs root (klpm status does not)\n',
    });
  });

  it('a file that is not what the repository promised: exit 3, nothing changed', async () => {
    const out = await runCli(['apply', '--root', root({ sha256: 'b'.repeat(64) }), '--dry-run']);
    expect(out.code).toBe(3);
    expect(out.stdout).toMatch(
      /refused, nothing was changed: .*lp_v1\.ko: sha256 is [0-9a-f]{64}, the repository promises b{64}/,
    );
  });

  it('a build the repository has no livepatch for: exit 4, reboot needed', async () => {
    const out = await runCli(['apply', '--root', root({ bases: ['aa'.repeat(20)] }), '--dry-run']);
    expect(out.code).toBe(4);
    expect(out.stdout).toContain(
      `reboot needed: no livepatch in the repository was ever built for kernel build ${BUILD}`,
    );
  });

  it('another klpm holding the lock: exit 5', async () => {
    const dir = root();
    writeFileSync(join(dir, 'var/lib/klpm/klpm.lock'), `${process.ppid}\n`);
    const out = await runCli(['apply', '--root', dir, '--yes']);
    expect(out.code).toBe(5);
    expect(out.stderr).toContain(`another klpm (pid ${process.ppid}) is changing this host`);
  });

  it('bad input is one line and exit 2: timeouts, a missing repository, an unreadable build ID, an unknown version', async () => {
    const dir = root();
    expect(await runCli(['apply', '--root', dir, '--dry-run', '--transition-timeout', 'soon'])).toMatchObject(
      {
        code: 2,
        stderr: "klpm: --transition-timeout 'soon' is not a number of seconds\n",
      },
    );
    expect(
      await runCli(['apply', '--root', dir, '--dry-run', '--repo', join(dir, 'nope.json')]),
    ).toMatchObject({
      code: 2,
      stderr: `klpm: ${join(dir, 'nope.json')}: no such file or directory\n`,
    });
    expect(await runCli(['apply', '--root', root({ buildId: null }), '--dry-run'])).toMatchObject({
      code: 2,
    });
    const rollback = await runCli(['rollback', '--root', dir, '--dry-run', '--to', '6.1.0-56.7']);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain('the repository offers no livepatch 6.1.0-56.7');
  });

  it('unload of a patch that is not loaded has nothing to do, with no repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-cli-unload-'));
    const out = await runCli(['unload', 'lp_v1', '--root', dir, '--dry-run']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('replace set 0: nothing');
  });
});

describe('klpm status with a repository', () => {
  it('shows the build ID, whether the kernel can be livepatched, the offer and the reboot need', async () => {
    const dir = root();
    const text = await runCli(['status', '--root', dir]);
    expect(text.stdout).toContain(`kernel: ${RELEASE}  build ID: ${BUILD}`);
    expect(text.stdout).toContain('livepatch: yes (livepatches can be applied)');
    expect(text.stdout).toContain('  replace set 0: supported, offers 6.1.0-56.1 (U-1)');
    expect(text.stdout).toContain('reboot needed: no');
    const eol = JSON.parse(
      (await runCli(['status', '--root', root({ bases: ['aa'.repeat(20)] }), '--json'])).stdout,
    );
    expect(eol).toMatchObject({
      buildId: BUILD,
      livepatchable: { ok: false },
      reboot: false,
      repository: { answers: [{ replaceSet: 0, answer: { status: 'unsupported' } }] },
    });
  });
});

describe('apply --json marks the debug-only lines of the predicted log', () => {
  it('debugOnly lists the indexes of the pr_debug lines beside predictedLog', async () => {
    const doc = JSON.parse((await runCli(['apply', '--root', root(), '--dry-run', '--json'])).stdout);
    const plan = doc.plans[0];
    expect(plan.debugOnly).toEqual([1, 3]);
    expect(plan.predictedLog[1]).toContain('initializing patching transition');
  });
});
