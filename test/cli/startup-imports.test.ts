import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openJournal, statePath } from '../../src/host/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const klpm = join(root, 'bin/klpm.js');
const bundle = join(root, 'dist/klpm.cjs');
const built = existsSync(bundle);

interface ScriptCoverage {
  readonly url: string;
  readonly functions: ReadonlyArray<{ functionName: string; ranges: ReadonlyArray<{ count: number }> }>;
}

const packageOf = (path: string): string | undefined => /node_modules\/((@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
const srcFolderOf = (name: string): string | undefined => /^src\/([^/]+)\//.exec(name)?.[1];

/**
 * The npm packages whose code a klpm process runs for `args`, as users run it: bin/klpm.js and the
 * bundle dist/klpm.cjs (npm run build). The bundle inlines most packages, so a package counts when
 * the process runs its module body: esbuild wraps each bundled module in a function named by the
 * module's path (node_modules/zod/...), run once when something first imports it; V8's precise
 * coverage (NODE_V8_COVERAGE) says which functions ran. A package left out of the bundle counts when
 * a file of it ran at all.
 */
function packagesRun(args: string[]): string[] {
  return ran(args).packages;
}

/** The npm packages (packagesRun) and klpm's own src/ folders whose module bodies ran for `args`. */
function ran(args: string[]): { packages: string[]; folders: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-coverage-'));
  const run = spawnSync(process.execPath, [klpm, ...args], {
    env: { ...process.env, NODE_V8_COVERAGE: dir },
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  const scripts = readdirSync(dir).flatMap(
    (name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { result: ScriptCoverage[] }).result,
  );
  const bundled = scripts.filter((script) => script.url === pathToFileURL(bundle).href);
  expect(bundled, 'bin/klpm.js runs the bundle').toHaveLength(1);
  const functions = bundled[0]!.functions.filter((fn) => (fn.ranges[0]?.count ?? 0) > 0);
  const packages = [
    ...functions.map((fn) => packageOf(fn.functionName)),
    ...scripts.map((script) => packageOf(script.url)),
  ];
  const folders = functions.map((fn) => srcFolderOf(fn.functionName));
  const names = (list: Array<string | undefined>) =>
    [...new Set(list.filter((name): name is string => name !== undefined))].sort();
  return { packages: names(packages), folders: names(folders) };
}

// `kmp check`'s benchmark target is a fraction of depmod's wall time: zod, yaml and the XML parser
// alone take about 140 ms to load unbundled (src/cli/commands/index.ts); the other commands' start-up
// targets are in bench/startup.bench.js (docs/operations.md, "Start-up").
describe.skipIf(!built)('what a klpm process runs (needs npm run build)', () => {
  it('runs neither zod, yaml, the XML parser nor SQLite for kmp check', () => {
    expect(packagesRun(['kmp', 'check', '--help'])).toEqual(['commander', 'fzstd']);
  });

  it('runs no command for --version', () => {
    expect(packagesRun(['--version'])).toEqual(['commander']);
  });

  it('opens no SQLite for status on a machine without a journal', () => {
    const machine = mkdtempSync(join(tmpdir(), 'klpm-root-'));
    expect(packagesRun(['status', '--json', '--root', machine])).not.toContain('better-sqlite3');
  });

  it('opens the journal through the bundle when there is one (SQLite required when first used)', () => {
    const machine = mkdtempSync(join(tmpdir(), 'klpm-root-'));
    const journal = openJournal(statePath(machine, 'journal'));
    journal.startRun(
      { kind: 'first-load', steps: [], notes: [], predictedLog: [], predictedSysfs: [] },
      new Date('2026-01-01T00:00:00Z'),
    );
    journal.close();
    expect(packagesRun(['status', '--json', '--root', machine])).toContain('better-sqlite3');
  });

  it("runs none of the fleet server's code (src/fleet, src/server, src/store) for fleet check", () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-hosts-'));
    const hosts = join(dir, 'hosts.jsonl');
    writeFileSync(hosts, '{"id":"h1","buildIds":{"kernel":"2a4c6e8f0b1d3f5a7c9e0b2d4f6a8c0e1f3a5b7c"}}\n');
    const { folders } = ran([
      'fleet',
      'check',
      '--repo',
      join(root, 'examples/repo'),
      '--hosts',
      hosts,
      '--json',
    ]);
    expect(folders).toContain('repo');
    for (const folder of ['fleet', 'server', 'store', 'agent']) expect(folders).not.toContain(folder);
  });

  it('runs every command for the overall help', () => {
    expect(packagesRun(['--help'])).toEqual(expect.arrayContaining(['commander', 'yaml', 'zod']));
  });
});
