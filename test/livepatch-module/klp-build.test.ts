import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findKlpBuildOutput } from '../../e2e/harness/klp-build.js';
import { readLivepatchModule } from '../../src/livepatch-module/index.js';
import { runCli } from '../support/run-cli.js';

/**
 * Two livepatches built by the kernel's own scripts/livepatch/klp-build (.ci/klp-build.sh) from
 * e2e/klp-build/ against Debian's linux-source-7.3 with a minimal config: v1 from
 * 0001-proc-version-fix.patch, v2 (cumulative) from 0001 and 0002-proc-cmdline-fix.patch. What each
 * should hold is written here from the diffs: both changed functions live in vmlinux (fs/proc/), are
 * the only functions of those names (sympos 0), and klp-build sets replace and declares no state.
 */
const found = findKlpBuildOutput();
if ('reason' in found) console.warn(`klp-build: ${found.reason}: checks skipped`);
const output = 'output' in found ? found.output : undefined;

const read = (file: string) => readLivepatchModule(readFileSync(file), file);
const sortedFuncs = (module: ReturnType<typeof read>) =>
  module.manifest.objects.map((o) => ({
    ...o,
    funcs: [...o.funcs].sort((a, b) => a.name.localeCompare(b.name)),
  }));

describe.skipIf(output === undefined)('klp-build modules of linux-source-7.3', () => {
  it('v1 reads as its diff: vmlinux version_proc_show, replace, no state', () => {
    const v1 = read(output!.v1);
    expect(v1.builder).toBe('klp-build');
    expect(v1.manifest.name).toBe('klpm_klp_v1');
    expect(v1.manifest.replace).toBe(true);
    expect(v1.manifest.states).toEqual([]);
    expect(sortedFuncs(v1)).toEqual([
      { name: 'vmlinux', funcs: [{ name: 'version_proc_show', sympos: 0 }], callbacks: [] },
    ]);
    expect(v1.modinfo.livepatch).toBe('Y');
    expect(v1.modinfo.version).toBe('1.0-1');
    expect(v1.modinfo.vermagic?.split(' ')[0]).toBe(output!.release);
    expect(v1.machine).toBe('x86_64');
  });

  it('v2 reads as both diffs: the v1 fix and cmdline_proc_show', () => {
    const v2 = read(output!.v2);
    expect(v2.builder).toBe('klp-build');
    expect(v2.manifest.name).toBe('klpm_klp_v2');
    expect(v2.manifest.replace).toBe(true);
    expect(sortedFuncs(v2)).toEqual([
      {
        name: 'vmlinux',
        funcs: [
          { name: 'cmdline_proc_show', sympos: 0 },
          { name: 'version_proc_show', sympos: 0 },
        ],
        callbacks: [],
      },
    ]);
    expect(v2.modinfo.version).toBe('1.0-2');
    // every non-exported symbol the new code uses is resolved in vmlinux at load
    for (const sym of v2.klpSyms) expect(sym.object).toBe('vmlinux');
  });

  it('klpm inspect prints both', async () => {
    for (const [file, name] of [
      [output!.v1, 'klpm_klp_v1'],
      [output!.v2, 'klpm_klp_v2'],
    ] as const) {
      const r = await runCli(['inspect', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`livepatch '${name}'`);
      expect(r.stdout).toMatch(/built by: klp-build/);
      expect(r.stdout).toContain('version_proc_show');
    }
  });

  it('klpm lint v2 --previous v1: a clean cumulative upgrade, checked against the real System.map', async () => {
    const r = await runCli([
      'lint',
      output!.v2,
      '--previous',
      output!.v1,
      '--kernel-release',
      output!.release,
      '--symbols',
      output!.systemMap,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.findings).toEqual([]);
    expect(report.log).toContain("livepatch: enabling patch 'klpm_klp_v2'");
    expect(report.log).toContain("livepatch: 'klpm_klp_v2': patching complete");
  });

  it('klpm lint v1 --previous v2: the downgrade reverts the cmdline fix', async () => {
    const r = await runCli(['lint', output!.v1, '--previous', output!.v2, '--json']);
    const report = JSON.parse(r.stdout);
    const rules = report.findings.map((f: { rule: string }) => f.rule);
    expect(rules).toContain('downgrade');
    expect(JSON.stringify(report.findings)).toContain('cmdline_proc_show');
  });
});
