import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'klpm-lint-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const manifest = (name: string, value: object) => file(name, JSON.stringify(value));

const v1 = manifest('v1.json', {
  name: 'lp_v1',
  version: '1.0-1',
  replace: true,
  objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show', 'meminfo_proc_show'], callbacks: ['pre_patch'] }],
});
const v2 = file(
  'v2.yaml',
  [
    'name: lp_v2',
    'version: "1.0-2"',
    'replace: true',
    'objects:',
    '  - name: vmlinux',
    '    funcs: [cmdline_proc_show, meminfo_proc_show, version_proc_show]',
    '    callbacks: [pre_patch]',
    '',
  ].join('\n'),
);
// drops meminfo_proc_show: a warning
const v2Dropped = manifest('v2-dropped.json', {
  name: 'lp_v2',
  version: '1.0-2',
  replace: true,
  objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show'], callbacks: ['pre_patch'] }],
});
const hotfix = manifest('hotfix.json', {
  name: 'hotfix',
  version: '1',
  replaceSet: 1,
  objects: [{ name: 'vmlinux', funcs: [{ name: 'version_proc_show', sympos: 1 }] }],
});

describe('klpm lint', () => {
  it('a clean upgrade: exit 0, no finding, the predicted kernel log with debug-only lines marked', async () => {
    const { code, stdout, stderr } = await runCli(['lint', v2, '--previous', v1]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('replacing lp_v1 1.0-1');
    expect(stdout).toContain("  livepatch: enabling patch 'lp_v2'\n");
    expect(stdout).toContain("  livepatch: 'lp_v2': initializing patching transition  (debug)\n");
    expect(stdout).toContain("  livepatch: 'lp_v2': starting patching transition\n");
    expect(stdout).toContain('0 errors, 0 warnings');
  });

  it('warnings exit 0, and 1 with --strict', async () => {
    const plain = await runCli(['lint', v2Dropped, '--previous', v1]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('warning cumulative-func:');
    expect(plain.stdout).toContain('vmlinux:meminfo_proc_show,1');
    expect((await runCli(['lint', v2Dropped, '--previous', v1, '--strict'])).code).toBe(1);
    expect((await runCli(['lint', v2, '--previous', v1, '--strict'])).code).toBe(0);
  });

  it('errors exit 1: a function of another set on a replace-set kernel', async () => {
    const run = await runCli(['lint', v2, '--previous', v1, '--set', hotfix, '--kernel', 'replace-set']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('error isolation-func:');
    // on the default replace-bool kernel it is a warning, and replace=1 would take the hotfix out too
    const bool = await runCli(['lint', v2, '--previous', v1, '--set', hotfix, '--json']);
    const json = JSON.parse(bool.stdout);
    expect(json.kernel).toBe('replace-bool');
    expect(json.findings.map((f: { rule: string; severity: string }) => `${f.severity} ${f.rule}`)).toEqual([
      'error upgrade-refused',
      'warning isolation-func',
    ]);
  });

  it('--json: findings, the plan, the log and which lines are debug-only', async () => {
    const { code, stdout } = await runCli(['lint', v2Dropped, '--previous', v1, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.new).toEqual({ file: v2Dropped, name: 'lp_v2', version: '1.0-2' });
    expect(json.replaces).toEqual({ file: v1, name: 'lp_v1', version: '1.0-1' });
    expect(json.findings).toHaveLength(1);
    expect(json.findings[0]).toMatchObject({
      rule: 'cumulative-func',
      severity: 'warning',
      func: 'meminfo_proc_show',
      source: expect.stringContaining('klp_add_nops'),
    });
    expect(json.plan.kind).toBe('upgrade-atomic');
    expect(json.log[0]).toBe("livepatch: enabling patch 'lp_v2'");
    expect(json.debugOnly.map((i: number) => json.log[i])).toEqual([
      "livepatch: 'lp_v2': initializing patching transition",
      "livepatch: 'lp_v2': completing patching transition",
    ]);
    expect(json.exitCode).toBe(0);
  });

  it('bad input is exit 2 with one located line', async () => {
    const broken = file('broken.yaml', 'name: lp\nobjects:\n  - name: vmlinux\n    funcs: [1]\n');
    const run = await runCli(['lint', broken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^klpm: .*broken\.yaml: 4:\d+ objects\[0\]\.funcs\[0\]: .*\n$/);
    const map = file('System.map', 'ffffffff81000000 T cmdline_proc_show\ngarbage\n');
    const symbols = await runCli(['lint', v2, '--symbols', map]);
    expect(symbols.code).toBe(2);
    expect(symbols.stderr).toContain('System.map: 2:');
    expect((await runCli(['lint', join(dir, 'missing.json')])).code).toBe(2);
    expect((await runCli(['lint', v2, '--kernel', 'replace-maybe'])).code).toBe(2);
    // a previous build that is not older, newer or equal cannot be placed without a version
    const bare = manifest('bare.json', { name: 'lp_bare' });
    const noVersion = await runCli(['lint', v2, '--previous', bare]);
    expect(noVersion.code).toBe(2);
    expect(noVersion.stderr).toContain('bare.json: has no version');
  });

  it('a .ko that is not a readable livepatch module: exit 2, naming the file', async () => {
    const ko = file('lp.ko', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
    const run = await runCli(['lint', ko]);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(`klpm: ${ko}`)).toBe(true);
    expect(run.stderr.split('\n').length).toBe(2);
  });

  it('symbols: a func missing from System.map is an error', async () => {
    const map = file(
      'System.map.ok',
      'ffffffff81000000 T cmdline_proc_show\nffffffff81000010 T meminfo_proc_show\n',
    );
    const run = await runCli(['lint', v2, '--symbols', map]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("error hygiene-symbol: func 'version_proc_show' is not in 'vmlinux'");
  });

  it('text lists the first 20 findings and says how many more; --all lists them all', async () => {
    const funcs = Array.from({ length: 25 }, (_, i) => `dropped_fn_${i}`);
    const old = manifest('many-v1.json', {
      name: 'lp_many_v1',
      version: '2.0-1',
      replace: true,
      objects: [{ name: 'vmlinux', funcs: ['kept_fn', ...funcs] }],
    });
    const next = manifest('many-v2.json', {
      name: 'lp_many_v2',
      version: '2.0-2',
      replace: true,
      objects: [{ name: 'vmlinux', funcs: ['kept_fn'] }],
    });
    const findingLines = (out: string) => out.split('\n').filter((l) => /^(warning|error) /.test(l));
    const short = await runCli(['lint', next, '--previous', old]);
    expect(findingLines(short.stdout)).toHaveLength(20);
    expect(short.stdout).toContain('… and 5 more findings (--all shows them)');
    const all = await runCli(['lint', next, '--previous', old, '--all']);
    expect(findingLines(all.stdout)).toHaveLength(25);
    expect(all.stdout).not.toContain('more findings');
    expect(short.code).toBe(all.code);
  });
});
