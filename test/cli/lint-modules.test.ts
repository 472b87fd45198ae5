import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eCacheDir, kernelSeries, moduleSourceHash } from '../../e2e/harness/kernels.js';
import { runCli } from '../support/run-cli.js';

/**
 * `klpm lint` on the real .ko files .ci/e2e-setup.sh builds against Debian's 6.1 and 6.12 headers:
 * the reader feeds lint, so linting the modules answers as linting their manifests (e2e/scenarios/
 * upgrade-v2.yaml, which test/livepatch-module/real-modules.test.ts holds equal to the files), and
 * modinfo's vermagic is checked against the release given.
 */
const dirs = (() => {
  const list = join(e2eCacheDir(), 'kernels.list');
  if (!existsSync(list)) return [];
  const hash = moduleSourceHash();
  return readFileSync(list, 'utf8')
    .split('\n')
    .filter((release) => ['6.1', '6.12'].includes(kernelSeries(release)))
    .map((release) => ({ release, dir: join(e2eCacheDir(), 'kernels', release, `modules-${hash}`) }))
    .filter(({ dir }) => existsSync(dir));
})();
if (dirs.length === 0 && process.env.CI === 'true')
  throw new Error('lint-modules: the e2e modules are not built (.ci/e2e-setup.sh)');

describe.skipIf(dirs.length === 0)('klpm lint on real livepatch modules', () => {
  for (const { release, dir } of dirs) {
    const v1 = join(dir, 'klpm_e2e_v1.ko');
    const v2 = join(dir, 'klpm_e2e_v2.ko');
    it(`${release}: v2 over v1 is a clean cumulative upgrade, with its predicted log`, async () => {
      const run = await runCli(['lint', v2, '--previous', v1, '--kernel-release', release, '--json']);
      const answer = JSON.parse(run.stdout) as { findings: Array<{ rule: string }>; log: string[] };
      expect(answer.findings.filter((f) => f.rule.startsWith('cumulative'))).toEqual([]);
      expect(answer.findings.filter((f) => f.rule.startsWith('hygiene'))).toEqual([]);
      expect(answer.log.some((line) => line.includes("livepatch: enabling patch 'klpm_e2e_v2'"))).toBe(true);
    });
    it(`${release}: v1 over v2 is a downgrade, and another release's vermagic is found`, async () => {
      const down = await runCli(['lint', v1, '--previous', v2, '--json']);
      const rules = (JSON.parse(down.stdout) as { findings: Array<{ rule: string }> }).findings.map(
        (f) => f.rule,
      );
      expect(rules).toContain('downgrade');
      const other = await runCli([
        'lint',
        v2,
        '--previous',
        v1,
        '--kernel-release',
        '9.9.9-1-amd64',
        '--json',
      ]);
      const found = (JSON.parse(other.stdout) as { findings: Array<{ rule: string }> }).findings.map(
        (f) => f.rule,
      );
      expect(found).toContain('hygiene-vermagic');
    });
  }
  it('a manifest lints as its module does', async () => {
    const { dir } = dirs[0]!;
    const tmp = mkdtempSync(join(tmpdir(), 'klpm-lint-ko-'));
    const manifests = [] as string[];
    for (const name of ['klpm_e2e_v1', 'klpm_e2e_v2']) {
      const inspected = await runCli(['inspect', join(dir, `${name}.ko`), '--json']);
      const path = join(tmp, `${name}.json`);
      writeFileSync(path, JSON.stringify((JSON.parse(inspected.stdout) as { manifest: unknown }).manifest));
      manifests.push(path);
    }
    const fromKo = await runCli([
      'lint',
      join(dir, 'klpm_e2e_v2.ko'),
      '--previous',
      join(dir, 'klpm_e2e_v1.ko'),
      '--json',
    ]);
    const fromManifest = await runCli(['lint', manifests[1]!, '--previous', manifests[0]!, '--json']);
    const logOf = (s: string) => (JSON.parse(s) as { log: string[] }).log;
    expect(logOf(fromKo.stdout)).toEqual(logOf(fromManifest.stdout));
  });
});
