import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelJson, snapshot, storeBuild, tempRoot, writeKernel } from '../../support/kmp-root.js';
import { runCli } from '../../support/run-cli.js';

// `klpm kmp link` killed (SIGKILL) at every moment it changes something on disk, then run again, must
// end in the tree an uninterrupted run makes, and no kernel may ever miss its boot-critical module.
// The kill comes from outside, with no hook in klpm: strace's syscall tampering sends SIGKILL as klpm
// enters its N-th fsync, symlink, rename or unlink (each counted on its own). klpm makes every link
// change with synchronous calls on its main thread, so tracing that thread alone sees them all
// (and not the depmod it spawns).

const BIN = resolve(import.meta.dirname, '../../../bin/klpm.js');
const K1 = '6.1.0-1-amd64';
const K2 = '6.1.0-2-amd64';
const hasDepmod = spawnSync('depmod', ['-V']).status === 0;
const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace) console.warn('skipping the kill-at-every-change test: strace is not installed');
/** The calls that change the tree or the journal (x86-64 and aarch64 names). */
const MUTATING = ['fsync', 'symlink', 'symlinkat', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat'];
const depmodFlags = hasDepmod ? [] : ['--no-depmod'];
const journal = 'var/lib/klpm/kmp-journal.jsonl';

let base: string;
let expected: Record<string, string>;
const roots: string[] = [];

/** The root before the change: linked, then the store changed under it as package installs would. */
async function makeBase(): Promise<string> {
  const root = tempRoot();
  roots.push(root);
  writeKernel(root, kernelJson(K1, ['printk:1', 'kmalloc:2'], [], ['stor']));
  writeKernel(root, kernelJson(K2, ['printk:1', 'kmalloc:3'], [], ['stor']));
  storeBuild(root, 'stor', '1', K1, [{ name: 'stor', imports: ['printk:1'] }], true);
  storeBuild(root, 'net', '1', K1, [{ name: 'net', imports: ['printk:1'] }]);
  storeBuild(root, 'old', '1', K1, [{ name: 'old', imports: ['printk:1'] }]);
  const first = await runCli(['kmp', 'link', '--root', root, ...depmodFlags]);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  // the change: stor 2 built for each kernel (replaces), a new package, one package removed
  storeBuild(root, 'stor', '2', K1, [{ name: 'stor', imports: ['printk:1'] }], true);
  storeBuild(root, 'stor', '2', K2, [{ name: 'stor', imports: ['printk:1'] }], true);
  storeBuild(root, 'fresh', '1', K2, [{ name: 'fresh', imports: ['printk:1'] }]);
  rmSync(join(root, 'usr/lib/klpm/kmp/old'), { recursive: true });
  return root;
}

function copyOf(root: string): string {
  const copy = tempRoot();
  roots.push(copy);
  cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

function withoutJournal(root: string) {
  return snapshot(root, (path) => path === journal);
}

/** Every kernel that had stor.ko reaches a real file through weak-updates/stor.ko. */
function bootCriticalPresent(root: string): string[] {
  const missing: string[] = [];
  for (const k of [K1, K2]) {
    const link = join(root, 'lib/modules', k, 'weak-updates/stor.ko');
    if (!existsSync(link) || !statSync(link).isFile()) missing.push(k);
  }
  return missing;
}

/** How often an uninterrupted `klpm kmp link` makes each mutating call, from strace's own log. */
function mutatingCalls(root: string): Array<[string, number]> {
  const log = join(root, '..', `${root.split('/').pop()}.strace`);
  const run = spawnSync(
    'strace',
    [
      '-qq',
      '-o',
      log,
      '-e',
      `trace=${MUTATING.join(',')}`,
      process.execPath,
      BIN,
      'kmp',
      'link',
      '--root',
      root,
      ...depmodFlags,
    ],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  const counts = new Map<string, number>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const call = /^(\w+)\(/.exec(line)?.[1];
    if (call) counts.set(call, (counts.get(call) ?? 0) + 1);
  }
  rmSync(log, { force: true });
  return [...counts];
}

function journalRecords(root: string): number {
  return readFileSync(join(root, journal), 'utf8').split('\n').filter(Boolean).length;
}

beforeAll(async () => {
  base = await makeBase();
  const clean = copyOf(base);
  const before = journalRecords(clean);
  const run = await runCli(['kmp', 'link', '--root', clean, ...depmodFlags]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expected = withoutJournal(clean);
  records = journalRecords(clean) - before;
});

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

let records = 0;

describe('klpm kmp link, killed and run again', () => {
  it('the uninterrupted run replaced, created and removed links (hand-worked plan)', () => {
    expect(expected[`lib/modules/${K1}/weak-updates/stor.ko`]).toBe(
      `-> ../../../../usr/lib/klpm/kmp/stor/2/${K1}/stor.ko`,
    );
    expect(expected[`lib/modules/${K2}/weak-updates/stor.ko`]).toBe(
      `-> ../../../../usr/lib/klpm/kmp/stor/2/${K2}/stor.ko`,
    );
    expect(expected[`lib/modules/${K1}/weak-updates/fresh.ko`]).toBe(
      `-> ../../../../usr/lib/klpm/kmp/fresh/1/${K2}/fresh.ko`,
    );
    expect(expected[`lib/modules/${K1}/weak-updates/old.ko`]).toBeUndefined();
    expect(expected[`lib/modules/${K2}/weak-updates/net.ko`]).toBe(
      `-> ../../../../usr/lib/klpm/kmp/net/1/${K1}/net.ko`,
    );
    // 2 replaces + 2 creates + 2 removals + 2 depmods: begin, start and done of each, end
    expect(records).toBe(18);
  });

  it.skipIf(!hasDepmod)('depmod ran for both kernels and lists the weak-updates modules', () => {
    const dep = Buffer.from(expected[`lib/modules/${K2}/modules.dep`] ?? '', 'base64').toString();
    expect(dep.split('\n').filter(Boolean).sort()).toEqual([
      'weak-updates/fresh.ko:',
      'weak-updates/net.ko:',
      'weak-updates/stor.ko:',
    ]);
  });

  it.skipIf(!hasStrace)(
    'ends in the same tree after a SIGKILL at every fsync, symlink, rename and unlink, never without stor.ko',
    async () => {
      const calls = mutatingCalls(copyOf(base));
      // every journal record is fsync'd, every link made and renamed, every old link unlinked
      expect(calls.find(([call]) => call === 'fsync')?.[1]).toBeGreaterThanOrEqual(records);
      let kills = 0;
      for (const [call, count] of calls)
        for (let n = 1; n <= count; n++) {
          const root = copyOf(base);
          const killed = spawnSync(
            'strace',
            [
              '-qq',
              '-o',
              '/dev/null',
              '-e',
              `trace=${call}`,
              '-e',
              `inject=${call}:signal=KILL:when=${n}`,
            ].concat([process.execPath, BIN, 'kmp', 'link', '--root', root, ...depmodFlags]),
            { encoding: 'utf8' },
          );
          // strace ends the way its tracee did: killed by SIGKILL
          expect(killed.signal ?? killed.status, `${call} #${n}: ${killed.stderr}`).toBe('SIGKILL');
          kills++;
          expect(bootCriticalPresent(root), `killed at ${call} #${n}`).toEqual([]);
          const rerun = await runCli(['kmp', 'link', '--root', root, ...depmodFlags]);
          expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
          expect(withoutJournal(root), `killed at ${call} #${n}`).toEqual(expected);
          rmSync(root, { recursive: true, force: true });
        }
      expect(kills).toBeGreaterThan(records);
    },
    240_000, // about 35 klpm processes; slow when the qemu guests run beside it
  );

  it('refuses (exit 1) to remove a boot-critical package, changing nothing', async () => {
    const root = copyOf(base);
    await runCli(['kmp', 'link', '--root', root, ...depmodFlags]);
    const before = snapshot(root);
    const run = await runCli(['kmp', 'remove', 'stor', '--root', root, ...depmodFlags]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`kernel ${K1} would lose boot-critical stor`);
    expect(snapshot(root)).toEqual(before);
  });
});
