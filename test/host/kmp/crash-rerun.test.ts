import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/run-cli.js';
import { kernelJson, snapshot, storeBuild, tempRoot, writeKernel } from './kmp-root.js';

// `klpm kmp link` killed (SIGKILL) after every journal record, then run again, must end in the tree
// an uninterrupted run makes, and no kernel may ever miss its boot-critical module.

const BIN = resolve(import.meta.dirname, '../../../bin/klpm.js');
const K1 = '6.1.0-1-amd64';
const K2 = '6.1.0-2-amd64';
const hasDepmod = spawnSync('depmod', ['-V']).status === 0;
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

  it('ends in the same tree after a kill at every journal record, never without stor.ko', async () => {
    expect(records).toBeGreaterThan(0);
    for (let n = 1; n <= records; n++) {
      const root = copyOf(base);
      const killed = spawnSync(process.execPath, [BIN, 'kmp', 'link', '--root', root, ...depmodFlags], {
        env: { ...process.env, KLPM_TEST_CRASH_AFTER: String(n) },
        encoding: 'utf8',
      });
      expect(killed.signal, `kill after record ${n}: ${killed.stderr}`).toBe('SIGKILL');
      expect(bootCriticalPresent(root), `after record ${n}`).toEqual([]);
      const rerun = await runCli(['kmp', 'link', '--root', root, ...depmodFlags]);
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      expect(withoutJournal(root), `killed after record ${n}`).toEqual(expected);
      rmSync(root, { recursive: true, force: true });
    }
    // one process per journal record: slow on a loaded machine (CI runs the qemu guests alongside)
  }, 240_000);

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
