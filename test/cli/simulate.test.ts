import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'klpm-simulate-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const scenario = file(
  'ok.yaml',
  [
    'kernel: { livepatch: replace-bool, attributes: [replace] }',
    'patches:',
    '  - { name: p1, objects: [{ name: vmlinux, funcs: [f], callbacks: [pre_patch] }] }',
    'steps:',
    '  - load: p1',
    '  - enable: p1',
  ].join('\n'),
);

describe('klpm simulate', () => {
  it('--log prints the kernel log and a refused step', async () => {
    const { code, stdout, stderr } = await runCli(['simulate', scenario, '--log']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual([
      "livepatch: enabling patch 'p1'",
      "livepatch: 'p1': initializing patching transition",
      'p1: pre_patch_callback: vmlinux',
      "livepatch: 'p1': starting patching transition",
      "livepatch: 'p1': completing patching transition",
      "livepatch: 'p1': patching complete",
      '% enable p1: EINVAL Invalid argument',
      '',
    ]);
  });

  it('--json gives events, step results and the final sysfs view', async () => {
    const { code, stdout } = await runCli(['simulate', scenario, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.kernel).toBe('replace-bool');
    expect(json.steps[1]).toMatchObject({ step: 'enable p1', ok: false, errno: 'EINVAL', errnoNumber: 22 });
    expect(json.steps[0].events[0]).toEqual({
      type: 'enabling',
      patch: 'p1',
      text: "livepatch: enabling patch 'p1'",
    });
    expect(json.sysfs).toEqual([
      {
        name: 'p1',
        enabled: 1,
        transition: 0,
        replace: 0,
        objects: [{ name: 'vmlinux', patched: 1, funcs: ['f,1'] }],
      },
    ]);
  });

  it('--strict exits 1 when a step is refused', async () => {
    expect((await runCli(['simulate', scenario, '--strict'])).code).toBe(1);
  });

  it('bad input exits 2 with one line naming the file, no stack trace', async () => {
    const bad = file('bad.yaml', 'kernel: { livepatch: nope }\n');
    const { code, stderr } = await runCli(['simulate', bad, '--log']);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^klpm: ${bad}: 1:22 kernel\\.livepatch: expected one of`));
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a missing file and a bad flag exit 2', async () => {
    expect(await runCli(['simulate', join(dir, 'none.yaml')])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no such file'),
    });
    expect((await runCli(['simulate', scenario, '--bogus'])).code).toBe(2);
    expect((await runCli(['simulate', scenario, '--log', '--json'])).code).toBe(2);
  });
});

describe('simulate marks debug-only lines and explains refused steps', () => {
  const DEMO = join(import.meta.dirname, '../../examples/klp/replace-set-upgrade.yaml');

  it('marks the pr_debug transition lines in text, lists their indexes in JSON, and leaves --log as dmesg', async () => {
    const text = await runCli(['simulate', DEMO]);
    expect(text.stdout).toContain("'kernel_lp_v1': initializing patching transition  (debug)");
    expect(text.stdout).toContain("'kernel_lp_v1': starting patching transition\n");
    const json = JSON.parse((await runCli(['simulate', DEMO, '--json'])).stdout);
    expect(json.debugOnly.length).toBeGreaterThan(0);
    for (const i of json.debugOnly)
      expect(json.log[i]).toMatch(/(initializing|completing) patching transition$/);
    const log = (await runCli(['simulate', DEMO, '--log'])).stdout;
    expect(log).not.toContain('(debug)');
    expect(log.split('\n').filter(Boolean)).toEqual(json.log);
  });

  it('gives a refused step a one-line reason', async () => {
    const text = await runCli(['simulate', DEMO]);
    expect(text.stdout).toContain('6. unload kernel_lp_v2  -> refused: EAGAIN');
    expect(text.stdout).toContain(
      'why: the patch is still registered (enabled, or in transition): disable it first',
    );
    const json = JSON.parse((await runCli(['simulate', DEMO, '--json'])).stdout);
    expect(json.steps[5].why).toContain('disable it first');
  });
});
