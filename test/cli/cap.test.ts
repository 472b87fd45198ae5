import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CAP, cap, capped } from '../../src/cli/cap.js';
import { renderCheck } from '../../src/cli/check-output.js';
import { kernelJson, storeBuild, tempRoot, writeKernel } from '../support/kmp-root.js';
import { runCli } from '../support/run-cli.js';

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const names = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);

/** A root whose /sys/kernel/livepatch holds `count` enabled patches, each patching `funcs` functions. */
function livepatchRoot(count: number, funcs = 1): string {
  const root = mkdtempSync(join(tmpdir(), 'klpm-cap-'));
  roots.push(root);
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file('proc/sys/kernel/osrelease', '6.12.117+deb12-amd64\n');
  file('proc/modules', '');
  for (const patch of names(count, 'lp_')) {
    const dir = `sys/kernel/livepatch/${patch}`;
    file(`${dir}/enabled`, '1\n');
    file(`${dir}/transition`, '0\n');
    file(`${dir}/vmlinux/patched`, '1\n');
    for (const fn of names(funcs, 'fn_'))
      mkdirSync(join(root, dir, 'vmlinux', `${fn},1`), { recursive: true });
  }
  return root;
}

const patchLines = (text: string) => text.split('\n').filter((l) => /^ {2}lp_\d+ /.test(l));

describe('the cap on text lists', () => {
  it('keeps a list of at most 20 whole, and cuts a longer one to 20 and a line naming the rest', () => {
    expect(CAP).toBe(20);
    expect(capped(names(20, 'x'), false, 'things')).toEqual(names(20, 'x'));
    const lines = names(57, '  x');
    expect(capped(lines, false, 'things')).toEqual([
      ...lines.slice(0, 20),
      '  … and 37 more things (--all shows them)',
    ]);
    expect(capped(lines, true, 'things')).toEqual(lines);
    expect(cap(lines, undefined)).toEqual({ shown: lines.slice(0, 20), hidden: 37 });
  });

  it('status with 30 patches prints 20 and says 10 more; --all prints 30; --json is whole either way', async () => {
    const root = livepatchRoot(30);
    const text = await runCli(['status', '--root', root]);
    expect(text.code).toBe(0);
    expect(patchLines(text.stdout)).toHaveLength(20);
    expect(text.stdout).toContain('  … and 10 more patches (--all shows them)\n');
    expect(text.stdout).not.toContain('lp_21');

    const all = await runCli(['status', '--root', root, '--all']);
    expect(patchLines(all.stdout)).toHaveLength(30);
    expect(all.stdout).not.toContain('more patches');

    const json = JSON.parse((await runCli(['status', '--root', root, '--json'])).stdout);
    expect(json.patches).toHaveLength(30);
    expect((await runCli(['status', '--root', root, '--json', '--all'])).stdout).toBe(
      (await runCli(['status', '--root', root, '--json'])).stdout,
    );
  });

  it("status cuts a patch's functions too", async () => {
    const root = livepatchRoot(1, 25);
    const text = (await runCli(['status', '--root', root])).stdout;
    expect(text).toMatch(/ {4}vmlinux: fn_01 .* fn_20 … and 5 more functions \(--all shows them\)\n/);
    expect((await runCli(['status', '--root', root, '--all'])).stdout).toContain(
      'fn_21 fn_22 fn_23 fn_24 fn_25\n',
    );
  });

  it('a status of 20 patches has nothing to cut', async () => {
    const text = (await runCli(['status', '--root', livepatchRoot(20)])).stdout;
    expect(patchLines(text)).toHaveLength(20);
    expect(text).not.toContain('--all shows them');
  });

  it('kmp status and kmp resolve cut the kernels and the rejected builds; --all and --json do not', async () => {
    const root = tempRoot();
    roots.push(root);
    const kernels = names(25, '6.1.0-');
    for (const k of kernels) writeKernel(root, kernelJson(`${k}-amd64`, ['kmalloc:3']));
    for (const pkg of names(30, 'pkg'))
      storeBuild(root, pkg, '1', '6.1.0-01-amd64', [{ name: pkg, imports: ['kmalloc:2'] }]);

    const resolve = (await runCli(['kmp', 'resolve', '--root', root])).stdout;
    expect(resolve.match(/^kernel /gm)).toHaveLength(20);
    expect(resolve).toContain('\n… and 5 more kernels (--all shows them)\n');
    expect(resolve.match(/^ {2}rejected /gm)).toHaveLength(20 * 20);
    expect(resolve).toContain('\n  … and 10 more rejected builds (--all shows them)\n');

    const all = (await runCli(['kmp', 'resolve', '--root', root, '--all'])).stdout;
    expect(all.match(/^kernel /gm)).toHaveLength(25);
    expect(all.match(/^ {2}rejected /gm)).toHaveLength(25 * 30);
    expect(all).not.toContain('--all shows them');

    const json = (await runCli(['kmp', 'resolve', '--root', root, '--json'])).stdout;
    expect(JSON.parse(json).kernels).toHaveLength(25);
    expect(JSON.parse(json).kernels[24].rejected).toHaveLength(30);
    expect((await runCli(['kmp', 'resolve', '--root', root, '--json', '--all'])).stdout).toBe(json);

    const table = (await runCli(['kmp', 'status', '--root', root])).stdout;
    expect(table.match(/^6\.1\.0-/gm)).toHaveLength(20);
    expect(table).toContain('… and 5 more kernels (--all shows them)');
    expect(
      (await runCli(['kmp', 'status', '--root', root, '--all'])).stdout.match(/^6\.1\.0-/gm),
    ).toHaveLength(25);
  });

  it('check cuts the candidates and the rolled-up updates', () => {
    const answer = {
      component: 'kernel',
      buildId: 'ab',
      status: 'supported',
      reason: 'r',
      candidates: names(30, '1-').map((to) => ({ to, update: `U-${to}` })),
      rolledUp: names(25, 'U-'),
      reboot: 'no',
      guidance: { mandatory: [], recommended: [], full: [] },
    };
    const answers = [{ replaceSet: 0, answer }] as unknown as Parameters<typeof renderCheck>[0];
    const text = renderCheck(answers);
    expect(text).toContain('1-20 (U-1-20), … and 10 more candidates (--all shows them)\n');
    expect(text).toContain('U-20, … and 5 more updates (--all shows them)\n');
    const all = renderCheck(answers, true);
    expect(all).toContain('1-30 (U-1-30)\n');
    expect(all).toContain('U-25\n');
  });
});
