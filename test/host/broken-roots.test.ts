import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelJson, snapshot, storeBuild, writeKernel } from '../support/kmp-root.js';
import { runCli } from '../support/run-cli.js';

/**
 * Roots as a real disk can hold them when something went wrong: each reader under --root meets a
 * missing file, a file where a directory should be and the reverse, a symlink loop, an empty file,
 * random bytes. Reading commands show what they could read and name the rest; change commands
 * refuse with exit 2 and change nothing; nothing prints a stack.
 */

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const REPO = new URL('../../examples/repo/index.json', import.meta.url).pathname;
const K = '6.1.0-1-amd64';

type Breakage = (path: string) => void;
/** What can stand where a file or directory is expected. */
const breakages: Record<string, Breakage> = {
  'a file where a directory should be': (path) => writeFileSync(path, '1\n'),
  'a directory where a file should be': (path) => mkdirSync(path, { recursive: true }),
  'a symlink loop': (path) => symlinkSync(path, path),
  'an empty file': (path) => writeFileSync(path, ''),
  'random bytes': (path) => writeFileSync(path, randomBytes(64)),
};

/** A machine with one enabled livepatch, its module list, release and journal directory. */
function livepatchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'klpm-broken-'));
  roots.push(root);
  const files: Record<string, string> = {
    'sys/kernel/livepatch/lp1/enabled': '1\n',
    'sys/kernel/livepatch/lp1/transition': '0\n',
    'sys/kernel/livepatch/lp1/replace_set': '1\n',
    'sys/kernel/livepatch/lp1/vmlinux/patched': '1\n',
    'sys/module/lp1/version': '1.0-1\n',
    'proc/modules': 'lp1 16384 1 - Live 0x0 (K)\n',
    'proc/sys/kernel/osrelease': '6.1.0-1-amd64\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(root, 'sys/kernel/livepatch/lp1/vmlinux/cmdline_proc_show,1'));
  mkdirSync(join(root, 'var/lib/klpm'), { recursive: true });
  return root;
}

/** Puts `breakage` at `rel` under `root`, replacing what was there. */
function breakAt(root: string, rel: string, breakage: Breakage): void {
  const path = join(root, rel);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(dirname(path), { recursive: true });
  breakage(path);
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);
const oneLine = (stderr: string) => {
  noStack(stderr);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
};

describe('a --root that does not exist', () => {
  const missing = join(tmpdir(), 'klpm-no-such-root', 'really');
  const commands = [
    ['status'],
    ['status', '--json'],
    ['check', '--repo', REPO],
    ['apply', '--dry-run', '--repo', REPO],
    ['rollback', '--dry-run', '--repo', REPO],
    ['unload', 'lp1', '--dry-run'],
    ['kmp', 'status'],
    ['kmp', 'resolve'],
    ['kmp', 'link', '--no-depmod'],
    ['kmp', 'remove-kernel', K],
  ];
  for (const args of commands)
    it(`is exit 2 for klpm ${args.join(' ')}`, async () => {
      const run = await runCli([...args, '--root', missing]);
      expect(run.code, run.stderr).toBe(2);
      oneLine(run.stderr);
      expect(run.stderr).toContain(missing);
      expect(run.stdout).not.toContain('applied');
    });

  it('is exit 2 when --root names a file', async () => {
    const root = livepatchRoot();
    const run = await runCli(['status', '--root', join(root, 'proc/modules')]);
    expect(run.code).toBe(2);
    oneLine(run.stderr);
  });
});

/** Where a livepatch reader looks, and which kinds of breakage there are worth a problem entry. */
const livepatchPlaces: Array<{ rel: string; kinds: string[] }> = [
  {
    rel: 'sys/kernel/livepatch',
    kinds: ['a file where a directory should be', 'a symlink loop', 'random bytes'],
  },
  {
    rel: 'sys/kernel/livepatch/lp1/enabled',
    kinds: ['a directory where a file should be', 'a symlink loop', 'random bytes'],
  },
  {
    rel: 'sys/kernel/livepatch/lp1/replace_set',
    kinds: ['a directory where a file should be', 'random bytes'],
  },
  { rel: 'sys/kernel/livepatch/lp1/vmlinux', kinds: ['a symlink loop'] },
  { rel: 'sys/module/lp1/version', kinds: ['a directory where a file should be', 'a symlink loop'] },
  { rel: 'sys/module', kinds: ['a file where a directory should be'] },
  { rel: 'proc/modules', kinds: ['a directory where a file should be', 'a symlink loop'] },
  { rel: 'proc/sys/kernel/osrelease', kinds: ['a directory where a file should be', 'a symlink loop'] },
  {
    rel: 'sys/kernel/notes',
    kinds: ['a directory where a file should be', 'a symlink loop', 'random bytes', 'an empty file'],
  },
  {
    rel: 'var/lib/klpm/journal.db',
    kinds: ['a directory where a file should be', 'a symlink loop', 'random bytes'],
  },
];

describe('klpm status on a broken host', () => {
  for (const { rel, kinds } of livepatchPlaces)
    for (const kind of kinds)
      it(`names ${rel} as ${kind}, shows the rest, exits 0`, async () => {
        const root = livepatchRoot();
        breakAt(root, rel, breakages[kind]!);
        const json = await runCli(['status', '--root', root, '--json']);
        expect(json.code, json.stderr).toBe(0);
        noStack(json.stderr);
        const status = JSON.parse(json.stdout) as { problems: Array<{ path: string; problem: string }> };
        expect(status.problems.map((p) => p.path)).toContainEqual(expect.stringContaining(rel));
        for (const p of status.problems) expect(p.problem).not.toMatch(/\n/);
        const text = await runCli(['status', '--root', root]);
        expect(text.code).toBe(0);
        expect(text.stdout).toMatch(new RegExp(`could not read \\S*${rel}\\S*: `));
      });

  it('still shows the release and the patches it could read', async () => {
    const root = livepatchRoot();
    breakAt(root, 'proc/modules', breakages['a symlink loop']!);
    const run = await runCli(['status', '--root', root, '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ release: '6.1.0-1-amd64', patches: [{ name: 'lp1' }] });
  });
});

describe('klpm check on a broken host', () => {
  const notes = livepatchPlaces.find((p) => p.rel === 'sys/kernel/notes')!;
  for (const kind of notes.kinds)
    it(`names sys/kernel/notes as ${kind} in problems (json) and in a text line, as status does`, async () => {
      const root = livepatchRoot();
      breakAt(root, notes.rel, breakages[kind]!);
      const path = join(root, notes.rel);
      const json = await runCli(['check', '--repo', REPO, '--root', root, '--json']);
      expect(json.code, json.stderr).toBe(0);
      noStack(json.stderr);
      const answer = JSON.parse(json.stdout) as { problems: Array<{ path: string; problem: string }> };
      expect(answer.problems.map((p) => p.path)).toEqual([path]);
      const status = await runCli(['status', '--root', root, '--json']);
      const statusProblems = (JSON.parse(status.stdout) as { problems: Array<{ path: string }> }).problems;
      expect(statusProblems).toContainEqual(answer.problems[0]);
      const text = await runCli(['check', '--repo', REPO, '--root', root]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`could not read ${path}: ${answer.problems[0]!.problem}\n`);
    });

  it('has an empty problems list when the build ID reads well or is given', async () => {
    const root = livepatchRoot();
    const given = await runCli(['check', '--repo', REPO, '--root', root, '--build-id', 'ab', '--json']);
    expect(JSON.parse(given.stdout).problems).toEqual([]);
    expect(
      (await runCli(['check', '--repo', REPO, '--root', root, '--build-id', 'ab'])).stdout,
    ).not.toContain('could not read');
  });
});

/** Places a change command needs; each breakage must be refused before anything changes. */
const changePlaces: Array<{ rel: string; kinds: string[] }> = [
  { rel: 'sys/kernel/livepatch', kinds: ['a file where a directory should be', 'a symlink loop'] },
  { rel: 'sys/kernel/livepatch/lp1/enabled', kinds: ['a directory where a file should be'] },
  { rel: 'proc/modules', kinds: ['a directory where a file should be'] },
  { rel: 'var/lib/klpm', kinds: ['a file where a directory should be', 'a symlink loop'] },
  {
    rel: 'var/lib/klpm/klpm.lock',
    kinds: ['a directory where a file should be', 'a symlink loop', 'random bytes'],
  },
  { rel: 'var/lib/klpm/journal.db', kinds: ['a directory where a file should be', 'random bytes'] },
];

describe('change commands on a broken host', () => {
  const commands = [
    ['apply', '--yes', '--repo', REPO],
    ['rollback', '--yes', '--repo', REPO],
    ['unload', 'lp1', '--yes'],
  ];
  for (const { rel, kinds } of changePlaces)
    for (const kind of kinds)
      for (const args of commands)
        it(`klpm ${args[0]} refuses ${rel} as ${kind}: exit 2, nothing changed`, async () => {
          const root = livepatchRoot();
          breakAt(root, rel, breakages[kind]!);
          const before = snapshot(root);
          const run = await runCli([...args, '--root', root], {}, 0);
          expect(run.code, run.stderr).toBe(2);
          oneLine(run.stderr);
          expect(run.stderr).toContain(rel);
          expect(snapshot(root)).toEqual(before);
        });

  const dryRuns = [
    ['apply', '--dry-run', '--repo', REPO],
    ['rollback', '--dry-run', '--repo', REPO],
    ['unload', 'lp1', '--dry-run'],
  ];
  const journalBreakages: Record<string, Breakage> = {
    ...breakages,
    'an SQLite database klpm did not write': (path) => {
      const db = new Database(path);
      db.exec('create table runs (x text); insert into runs values (1)');
      db.close();
    },
  };
  for (const kind of [
    'a directory where a file should be',
    'a symlink loop',
    'random bytes',
    'an SQLite database klpm did not write',
  ])
    for (const args of dryRuns)
      it(`klpm ${args.join(' ')} refuses var/lib/klpm/journal.db as ${kind}, as the real run does`, async () => {
        const root = livepatchRoot();
        breakAt(root, 'var/lib/klpm/journal.db', journalBreakages[kind]!);
        const before = snapshot(root);
        const run = await runCli([...args, '--root', root], {}, 0);
        expect(run.code, run.stderr).toBe(2);
        oneLine(run.stderr);
        expect(run.stderr).toContain(join(root, 'var/lib/klpm/journal.db'));
        expect(run.stdout).toBe('');
        expect(snapshot(root)).toEqual(before);
      });

  it('apply --dry-run on a broken sysfs is exit 2 with the path, not an internal error', async () => {
    const root = livepatchRoot();
    breakAt(root, 'sys/kernel/livepatch', breakages['a file where a directory should be']!);
    const run = await runCli(['apply', '--dry-run', '--repo', REPO, '--root', root]);
    expect(run.code, run.stderr).toBe(2);
    oneLine(run.stderr);
    expect(run.stderr).toContain('sys/kernel/livepatch');
  });
});

/** A machine with one registered kernel and one build in the store, linked. */
function kmpRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'klpm-broken-kmp-'));
  roots.push(root);
  writeKernel(root, kernelJson(K, ['printk:1']));
  storeBuild(root, 'acme', '1.0-1', K, [{ name: 'acme', imports: ['printk:1'] }]);
  return root;
}

const kmpPlaces: Array<{ rel: string; kinds: string[] }> = [
  {
    rel: 'var/lib/klpm/kmp/kernels',
    kinds: ['a file where a directory should be', 'a symlink loop'],
  },
  {
    rel: `var/lib/klpm/kmp/kernels/${K}.json`,
    kinds: ['a directory where a file should be', 'a symlink loop', 'an empty file', 'random bytes'],
  },
  { rel: 'usr/lib/klpm/kmp', kinds: ['a file where a directory should be', 'a symlink loop'] },
  { rel: 'usr/lib/klpm/kmp/acme', kinds: ['a file where a directory should be'] },
  { rel: 'usr/lib/klpm/kmp/acme/1.0-1', kinds: ['a file where a directory should be'] },
  {
    rel: `usr/lib/klpm/kmp/acme/1.0-1/${K}/kmp.json`,
    kinds: ['a directory where a file should be', 'a symlink loop', 'random bytes'],
  },
  { rel: `lib/modules/${K}/weak-updates`, kinds: ['a file where a directory should be', 'a symlink loop'] },
  { rel: `lib/modules/${K}`, kinds: ['a file where a directory should be'] },
  { rel: 'var/lib/klpm/kmp-journal.jsonl', kinds: ['a directory where a file should be', 'a symlink loop'] },
];

describe('klpm kmp on a broken host', () => {
  for (const { rel, kinds } of kmpPlaces)
    for (const kind of kinds) {
      it(`kmp status names ${rel} as ${kind}, exits 0 or 1`, async () => {
        const root = kmpRoot();
        breakAt(root, rel, breakages[kind]!);
        const run = await runCli(['kmp', 'status', '--root', root, '--json']);
        expect([0, 1], run.stderr).toContain(run.code);
        noStack(run.stderr);
        const status = JSON.parse(run.stdout) as { problems: Array<{ path: string }> };
        if (!rel.endsWith('kmp-journal.jsonl'))
          expect(status.problems.map((p) => p.path)).toContainEqual(expect.stringContaining(rel));
        const text = await runCli(['kmp', 'status', '--root', root]);
        if (!rel.endsWith('kmp-journal.jsonl')) expect(text.stdout).toContain('could not read');
      });

      it(`kmp link refuses ${rel} as ${kind}: exit 2, nothing changed`, async () => {
        const root = kmpRoot();
        breakAt(root, rel, breakages[kind]!);
        const before = snapshot(root);
        const run = await runCli(['kmp', 'link', '--no-depmod', '--root', root]);
        expect(run.code, run.stdout).toBe(2);
        oneLine(run.stderr);
        expect(run.stderr).toContain(rel);
        expect(run.stdout).not.toContain('applied');
        expect(snapshot(root)).toEqual(before);
      });
    }
});

describe('a default repository that cannot be read', () => {
  for (const [kind, breakage] of Object.entries(breakages))
    it(`is a problem status names, with ${kind} at var/lib/klpm/repo/index.json`, async () => {
      const root = livepatchRoot();
      breakAt(root, 'var/lib/klpm/repo/index.json', breakage);
      const run = await runCli(['status', '--root', root, '--json']);
      expect(run.code, run.stderr).toBe(0);
      noStack(run.stderr);
      const json = JSON.parse(run.stdout);
      expect(json.patches.map((p: { name: string }) => p.name)).toEqual(['lp1']);
      expect(json.problems.map((p: { path: string }) => p.path)).toContain(join(root, 'var/lib/klpm/repo'));
      // given explicitly, the same repository is bad input
      const explicit = await runCli(['status', '--root', root, '--repo', join(root, 'var/lib/klpm/repo')]);
      expect(explicit.code).toBe(2);
      oneLine(explicit.stderr);
    });
});
