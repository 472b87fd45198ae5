import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const klpm = join(root, 'bin/klpm.js');
const hook = join(root, 'test/support/log-imports.mjs');
const built = existsSync(join(root, 'dist/cli/main.js'));

/** The npm packages a klpm process loads to run `args` (from the built dist/, as users run it). */
function packagesLoaded(args: string[]): string[] {
  const log = join(mkdtempSync(join(tmpdir(), 'klpm-imports-')), 'imports.log');
  const run = spawnSync(process.execPath, ['--import', hook, klpm, ...args], {
    env: { ...process.env, KLPM_IMPORT_LOG: log },
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  const urls = readFileSync(log, 'utf8').split('\n');
  return [...new Set(urls.flatMap((url) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? []))].sort();
}

// `kmp check`'s benchmark target is a fraction of depmod's wall time: zod, yaml and the XML parser
// alone take about 140 ms to load (src/cli/commands/index.ts).
describe.skipIf(!built)('what a klpm process loads (needs npm run build)', () => {
  it('loads neither zod, yaml, the XML parser nor SQLite for kmp check', () => {
    expect(packagesLoaded(['kmp', 'check', '--help'])).toEqual(['commander', 'fzstd']);
  });

  it('loads every command for the overall help', () => {
    expect(packagesLoaded(['--help'])).toEqual(expect.arrayContaining(['commander', 'yaml', 'zod']));
  });
});
