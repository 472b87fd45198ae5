import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writesOf } from '../../src/host/index.js';
import { kernelJson, snapshot, storeBuild, writeKernel } from '../support/kmp-root.js';
import { runCli } from '../support/run-cli.js';
import { seeded } from '../support/seeded-random.js';

/**
 * The CLI-level fuzzer (docs/cli.md, "Exit codes"): every command on generated hostile roots and
 * files, and of each run three things are required: an exit code from the documented table (never
 * 70, an internal error), at most a few lines on stderr with no stack frame, and no file changed
 * outside the places the command may write (writesOf in src/host/paths.ts). `npm test` runs fixed
 * seeds and fails when fewer runs than planned happened; KLPM_FUZZ_SECONDS=N explores with random
 * seeds for N seconds and prints each failing seed, to add to SEEDS.
 */

const DOCUMENTED = new Set([0, 1, 2, 3, 4, 5]);
const SEEDS = Array.from({ length: 24 }, (_, i) => 1000 + i);
const MIN_RUNS = 200;
const K = '6.1.0-1-amd64';
const BUILD = '0011223344556677';

const work = mkdtempSync(join(tmpdir(), 'klpm-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A machine with one livepatch loaded, a repository, a registered kernel and a KMP in the store. */
function baseRoot(): string {
  const root = join(work, 'base');
  const files: Record<string, string | Buffer> = {
    'sys/kernel/livepatch/lp1/enabled': '1\n',
    'sys/kernel/livepatch/lp1/transition': '0\n',
    'sys/kernel/livepatch/lp1/replace': '1\n',
    'sys/kernel/livepatch/lp1/vmlinux/patched': '1\n',
    'sys/module/lp1/version': '6.1.0-1.1\n',
    'proc/modules': 'lp1 16384 1 - Live 0x0 (K)\n',
    'proc/sys/kernel/osrelease': `${K}\n`,
    'sys/kernel/notes': notes(BUILD),
    'var/lib/klpm/repo/index.json': JSON.stringify({
      format: 'klpm-repository-index',
      version: 1,
      updates: [
        {
          id: 'U-1',
          issued: '2026-11-01',
          livepatches: [
            { component: 'kernel', baseBuildId: BUILD, base: '6.1.0-1', to: '6.1.0-1.1', name: 'lp1' },
            { component: 'kernel', baseBuildId: BUILD, base: '6.1.0-1', to: '6.1.0-1.2', name: 'lp2' },
          ],
        },
      ],
    }),
    'hosts.jsonl': `${JSON.stringify({ id: 'h1', buildIds: { kernel: BUILD } })}\n`,
    'lint/v2.json': JSON.stringify({
      name: 'lp2',
      version: '6.1.0-1.2',
      replace: true,
      objects: [{ name: 'vmlinux', funcs: ['cmdline_proc_show', 'meminfo_proc_show'] }],
    }),
    'lint/v1.yaml':
      'name: lp1\nversion: 6.1.0-1.1\nreplace: true\nobjects:\n  - { name: vmlinux, funcs: [cmdline_proc_show] }\n',
    'lint/System.map': 'ffffffff81000000 T cmdline_proc_show\nffffffff81000010 T meminfo_proc_show\n',
    'scenario.yaml':
      'kernel: { livepatch: replace-bool }\npatches:\n  - { name: p, objects: [{ name: vmlinux, funcs: [f] }] }\nsteps:\n  - load: p\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  mkdirSync(join(root, 'sys/kernel/livepatch/lp1/vmlinux/cmdline_proc_show,1'));
  writeKernel(root, kernelJson(K, ['printk:1']));
  storeBuild(root, 'acme', '1', K, [{ name: 'acme', imports: ['printk:1'] }]);
  return root;
}

function notes(buildId: string): Buffer {
  const desc = Buffer.from(buildId, 'hex');
  const header = Buffer.alloc(12);
  header.writeUInt32LE(4, 0);
  header.writeUInt32LE(desc.length, 4);
  header.writeUInt32LE(3, 8);
  return Buffer.concat([header, Buffer.from('GNU\0'), desc]);
}

const base = baseRoot();
const basePaths = Object.keys(snapshot(base));
/** the KMP's module in the store, relative to the root */
const STORE_MODULE = basePaths.find((path) => path.endsWith('.ko'))!;

type Mutation = (path: string, next: () => number) => void;
/** What a broken disk, a bad package or another tool can leave where klpm reads. */
const mutations: Record<string, Mutation> = {
  'file for directory': (path) => {
    rmSync(path, { recursive: true, force: true });
    writeFileSync(path, '1\n');
  },
  'directory for file': (path) => {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path);
  },
  'symlink loop': (path) => {
    rmSync(path, { recursive: true, force: true });
    symlinkSync(path, path);
  },
  'empty file': (path) => {
    rmSync(path, { recursive: true, force: true });
    writeFileSync(path, '');
  },
  'random bytes': (path, next) => {
    rmSync(path, { recursive: true, force: true });
    writeFileSync(
      path,
      Buffer.from(Array.from({ length: 1 + Math.floor(next() * 300) }, () => Math.floor(next() * 256))),
    );
  },
  'cut short': (path, next) => {
    const text = snapshotText(path);
    if (text === undefined) return;
    writeFileSync(path, text.subarray(0, Math.floor(next() * text.length)));
  },
  gone: (path) => rmSync(path, { recursive: true, force: true }),
};

function snapshotText(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** A copy of the base root with one to three mutations, chosen by the seed. */
function hostileRoot(seed: number): { root: string; what: string[] } {
  const next = seeded(seed);
  const root = join(work, `seed-${seed}`);
  rmSync(root, { recursive: true, force: true });
  cpSync(base, root, { recursive: true, verbatimSymlinks: true });
  const what: string[] = [];
  const names = Object.keys(mutations);
  for (let i = 0, n = 1 + Math.floor(next() * 3); i < n; i++) {
    const rel = basePaths[Math.floor(next() * basePaths.length)]!;
    const name = names[Math.floor(next() * names.length)]!;
    try {
      mutations[name]!(join(root, rel), next);
      what.push(`${name} at ${rel}`);
    } catch {
      // a path an earlier mutation already took away
    }
  }
  return { root, what };
}

/** Every command, with the files it reads under the root; changes are dry runs or run without depmod. */
function commands(root: string): Array<{ name: string; args: string[] }> {
  const repo = join(root, 'var/lib/klpm/repo');
  return [
    { name: 'status', args: ['status', '--root', root, '--json'] },
    { name: 'status', args: ['status', '--root', root] },
    { name: 'check', args: ['check', '--repo', repo, '--root', root, '--json'] },
    { name: 'apply', args: ['apply', '--dry-run', '--root', root, '--json'] },
    { name: 'rollback', args: ['rollback', '--dry-run', '--root', root] },
    { name: 'unload', args: ['unload', 'lp1', '--dry-run', '--root', root] },
    { name: 'fleet check', args: ['fleet', 'check', '--repo', repo, '--hosts', join(root, 'hosts.jsonl')] },
    { name: 'simulate', args: ['simulate', join(root, 'scenario.yaml')] },
    {
      name: 'lint',
      args: [
        'lint',
        join(root, 'lint/v2.json'),
        '--previous',
        join(root, 'lint/v1.yaml'),
        '--symbols',
        join(root, 'lint/System.map'),
      ],
    },
    // a module of the store that is no livepatch: inspect refuses it, or whatever a mutation made of it
    { name: 'inspect', args: ['inspect', join(root, STORE_MODULE), '--json'] },
    { name: 'kmp status', args: ['kmp', 'status', '--root', root, '--json'] },
    { name: 'kmp resolve', args: ['kmp', 'resolve', '--root', root] },
    { name: 'kmp link', args: ['kmp', 'link', '--root', root, '--no-depmod'] },
    { name: 'kmp remove-kernel', args: ['kmp', 'remove-kernel', K, '--root', root, '--no-depmod'] },
  ];
}

/** Whether `path` (relative to the root) lies at or under one of the globs (`*` stands within one segment). */
function allowed(path: string, globs: ReadonlyArray<string>): boolean {
  const parts = path.split('/');
  const matches = (segment: string, part: string) =>
    new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`).test(part);
  return globs.some((glob) => {
    const g = glob.replace(/^\//, '').split('/');
    if (parts.length < g.length) return false;
    return g.every((segment, i) => matches(segment, parts[i]!));
  });
}

/** The paths `after` differs from `before` in, except the directories on the way to allowed paths. */
function changedOutside(
  before: Record<string, string>,
  after: Record<string, string>,
  globs: ReadonlyArray<string>,
): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => {
    if (before[k] === after[k]) return false;
    if (allowed(k, globs)) return false;
    // a directory created on the way to a place the command may write
    const onTheWay =
      before[k] === undefined &&
      after[k] === 'dir' &&
      Object.keys(after).some((p) => p.startsWith(`${k}/`) && allowed(p, globs));
    return !onTheWay;
  });
}

/** The problems of one run: none means the three requirements hold. */
async function check(name: string, args: string[], root: string): Promise<string[]> {
  const before = snapshot(root);
  const run = await runCli(args, {}, 0);
  const after = snapshot(root);
  const problems: string[] = [];
  if (!DOCUMENTED.has(run.code)) problems.push(`exit ${run.code}: ${run.stderr.trim()}`);
  if (/\n\s+at /.test(run.stderr)) problems.push(`a stack trace: ${run.stderr.slice(0, 200)}`);
  if (run.stderr.trimEnd().split('\n').length > 3)
    problems.push(`${run.stderr.split('\n').length} lines of stderr`);
  const outside = changedOutside(before, after, writesOf(name));
  if (outside.length > 0) problems.push(`wrote outside its places: ${outside.join(', ')}`);
  return problems;
}

async function fuzz(seed: number): Promise<{ runs: number; failures: string[] }> {
  const { root, what } = hostileRoot(seed);
  const failures: string[] = [];
  let runs = 0;
  for (const { name, args } of commands(root)) {
    runs++;
    for (const problem of await check(name, args, root))
      failures.push(
        `seed ${seed} (${what.join('; ')}): klpm ${args.join(' ').replaceAll(root, 'ROOT')}: ${problem}`,
      );
  }
  return { runs, failures };
}

describe('the CLI on hostile roots', () => {
  it(`keeps to the exit table, prints no stack and writes only its places (${SEEDS.length} fixed seeds)`, async () => {
    let runs = 0;
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const result = await fuzz(seed);
      runs += result.runs;
      failures.push(...result.failures);
    }
    expect(failures).toEqual([]);
    // a fuzzer that ran nothing would pass
    expect(runs).toBeGreaterThanOrEqual(MIN_RUNS);
  }, 120_000);

  const seconds = Number(process.env.KLPM_FUZZ_SECONDS ?? 0);
  it.skipIf(!(seconds > 0))(
    'explores random seeds for KLPM_FUZZ_SECONDS seconds',
    async () => {
      const end = Date.now() + seconds * 1000;
      const failures: string[] = [];
      while (Date.now() < end && failures.length < 20) {
        const result = await fuzz(Math.floor(Math.random() * 2 ** 31));
        failures.push(...result.failures);
      }
      expect(failures).toEqual([]);
    },
    3_600_000,
  );
});
