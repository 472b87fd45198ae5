import { existsSync, mkdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelJson, packageDir, snapshot, tempRoot } from '../support/kmp-root.js';
import { runCli } from '../support/run-cli.js';

const K1 = '6.1.0-1-amd64';
const K2 = '6.1.0-2-amd64';
const roots: string[] = [];

function root(): string {
  const dir = tempRoot();
  roots.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function describeFile(dir: string, description: ReturnType<typeof kernelJson>): string {
  const path = join(dir, `${description.release}.kernel.json`);
  writeFileSync(path, JSON.stringify(description));
  return path;
}

const kmp = (args: string[], r: string) => runCli(['kmp', ...args, '--root', r, '--no-depmod']);

describe('klpm kmp commands', () => {
  it('prints CRCs in JSON as 0x and 8 hex digits, as Module.symvers does', async () => {
    const r = root();
    const work = root();
    expect(
      (await kmp(['add-kernel', K1, '--describe', describeFile(work, kernelJson(K1, ['kmalloc:3']))], r))
        .code,
    ).toBe(0);
    const pkg = packageDir(work, 'acme', '1.0-1', K2, [{ name: 'acme', imports: ['kmalloc:2'] }]);
    expect((await kmp(['add', pkg], r)).code).toBe(0);
    for (const command of ['resolve', 'status']) {
      const json = JSON.parse((await kmp([command, '--json'], r)).stdout);
      expect(json.kernels[0].rejected[0].reasons[0]).toMatchObject({
        kind: 'crc',
        wanted: '0x00000002',
        found: '0x00000003',
      });
    }
  });

  it('--no-depmod leaves the depmod it skipped owed, says so, and the next link runs it', async () => {
    const r = root();
    const work = root();
    expect(
      (await kmp(['add-kernel', K1, '--describe', describeFile(work, kernelJson(K1, ['printk:1']))], r)).code,
    ).toBe(0);
    const pkg = packageDir(work, 'acme', '1.0-1', K1, [{ name: 'acme', imports: ['printk:1'] }]);
    const added = await kmp(['add', pkg], r);
    expect(added.stdout).toContain(`depmod skipped for ${K1}: still owed; klpm kmp link runs it`);
    // nothing changes in the links, yet the depmod is still owed
    const again = JSON.parse((await kmp(['link', '--json'], r)).stdout);
    expect(again.operations).toEqual([]);
    expect(again.depmodOwed).toEqual([K1]);
    // a link that runs depmod pays it
    const paid = JSON.parse((await runCli(['kmp', 'link', '--root', r, '--json'])).stdout);
    expect(paid.depmodOwed).toEqual([]);
    expect(paid.depmodFailures).toEqual([]);
    expect(existsSync(join(r, 'lib/modules', K1, 'modules.dep'))).toBe(true);
    expect(JSON.parse((await kmp(['link', '--json'], r)).stdout).depmodOwed).toEqual([]);
  });

  it('add-kernel, add, status, resolve, remove and remove-kernel, as a package manager calls them', async () => {
    const r = root();
    const work = root();
    const k1 = describeFile(work, kernelJson(K1, ['printk:1', 'kmalloc:2']));
    const k2 = describeFile(work, kernelJson(K2, ['printk:1', 'kmalloc:3']));
    expect((await kmp(['add-kernel', K1, '--describe', k1], r)).code).toBe(0);
    expect((await kmp(['add-kernel', K2, '--describe', k2], r)).code).toBe(0);

    const pkg = packageDir(work, 'acme', '1.0-1', K1, [{ name: 'acme', imports: ['printk:1', 'kmalloc:2'] }]);
    const added = await kmp(['add', pkg], r);
    expect(added.code, added.stderr).toBe(0);
    // K1 gets its own build; K2's kmalloc has another CRC, so nothing there
    expect(readlinkSync(join(r, 'lib/modules', K1, 'weak-updates/acme.ko'))).toBe(
      `../../../../usr/lib/klpm/kmp/acme/1.0-1/${K1}/acme.ko`,
    );
    expect(existsSync(join(r, 'lib/modules', K2, 'weak-updates/acme.ko'))).toBe(false);
    expect(added.stdout).toContain(
      'acme disagrees about version of symbol kmalloc (wants 0x00000002, kernel has 0x00000003)',
    );

    const status = await kmp(['status', '--json'], r);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout) as {
      operations: unknown[];
      kernels: Array<{ kernel: string; chosen: Array<{ package: string; version: string }> }>;
    };
    expect(json.operations).toEqual([]);
    expect(json.kernels.map((k) => [k.kernel, k.chosen.map((c) => `${c.package} ${c.version}`)])).toEqual([
      [K1, ['acme 1.0-1']],
      [K2, []],
    ]);
    const table = await kmp(['status'], r);
    expect(table.stdout).toMatch(new RegExp(`${K1}\\s+1\\.0-1 \\(own\\)`));

    // a build for K2 arrives: resolve shows the plan and changes nothing, link applies it
    const pkg2 = packageDir(work, 'acme', '1.0-1', K2, [
      { name: 'acme', imports: ['printk:1', 'kmalloc:3'] },
    ]);
    const before = snapshot(r);
    expect((await kmp(['add', pkg2, '--json'], r)).code).toBe(0);
    expect(snapshot(r)).not.toEqual(before);
    expect(readlinkSync(join(r, 'lib/modules', K2, 'weak-updates/acme.ko'))).toContain(
      `/acme/1.0-1/${K2}/acme.ko`,
    );
    const dry = await kmp(['resolve'], r);
    expect(dry.stdout).toContain('plan: nothing to change');

    expect((await kmp(['remove', 'acme', '1.0-1'], r)).code).toBe(0);
    expect(existsSync(join(r, 'lib/modules', K1, 'weak-updates/acme.ko'))).toBe(false);
    expect(existsSync(join(r, 'usr/lib/klpm/kmp/acme/1.0-1'))).toBe(false);
    expect((await kmp(['remove-kernel', K2], r)).code).toBe(0);
    expect(existsSync(join(r, 'var/lib/klpm/kmp/kernels', `${K2}.json`))).toBe(false);
  });

  it('refuses a new kernel that a boot-critical package cannot serve (exit 1, not registered)', async () => {
    const r = root();
    const work = root();
    await kmp(['add-kernel', K1, '--describe', describeFile(work, kernelJson(K1, ['kmalloc:2']))], r);
    const stor = packageDir(work, 'stor', '1', K1, [{ name: 'stor', imports: ['kmalloc:2'] }], true);
    expect((await kmp(['add', stor], r)).code).toBe(0);
    const before = snapshot(r);
    const run = await kmp(
      ['add-kernel', K2, '--describe', describeFile(work, kernelJson(K2, ['kmalloc:3']))],
      r,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`kernel ${K2} would lose boot-critical stor`);
    expect(snapshot(r)).toEqual(before);
  });

  it('bad input exits 2 naming the file and the place', async () => {
    const r = root();
    const work = root();
    const pkg = packageDir(work, 'acme', '1', K1, [{ name: 'acme' }]);
    const bad = JSON.stringify({
      package: 'acme',
      version: '1',
      kernel: K1,
      modules: [{ file: 'acme.ko', name: 'acme', exports: [], imports: [{ name: 'x', crc: '0xZZ' }] }],
    });
    writeFileSync(join(pkg, 'kmp.json'), bad);
    const run = await kmp(['add', pkg], r);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/kmp\.json: 1:\d+ modules\[0\]\.imports\[0\]\.crc: /);
    const other = describeFile(work, kernelJson(K2, []));
    const wrong = await kmp(['add-kernel', K1, '--describe', other], r);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`describes kernel ${K2}, not ${K1}`);
    const missing = await kmp(['remove', 'nothing'], r);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no build of nothing in the store');
    const noFile = await kmp(['add', join(work, 'absent')], r);
    expect(noFile.code).toBe(2);
    // a registration klpm did not write (a description copied in by hand) is not trusted: status
    // names it and shows the rest, a change refuses
    mkdirSync(join(r, 'var/lib/klpm/kmp/kernels'), { recursive: true });
    writeFileSync(join(r, 'var/lib/klpm/kmp/kernels', `${K1}.json`), JSON.stringify(kernelJson(K1, [])));
    const foreign = await kmp(['status'], r);
    expect(foreign.code).toBe(0);
    expect(foreign.stdout).toContain('not a klpm kernel registration (format klpm-kernel)');
    const link = await kmp(['link'], r);
    expect(link.code).toBe(2);
    expect(link.stderr).toContain('not a klpm kernel registration (format klpm-kernel)');
  });
});
