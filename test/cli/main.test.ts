import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

// docs/cli.md, "Exit codes": one table in src/cli/main.ts, one line on stderr, never a stack trace
// unless --debug asks for it.

const ROOT = join(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'dist/cli/main.js'));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in process with an stdout that fails the way a bug would. */
async function withBrokenStdout(args: string[], env: Record<string, string> = {}) {
  let stderr = '';
  const code = await main(args, {
    stdout: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'name')");
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd: ROOT,
  });
  return { code, stderr };
}

describe('the top-level error table', () => {
  it('turns an unexpected error into one line, exit 70, naming the command', async () => {
    const run = await withBrokenStdout(['simulate', join(ROOT, 'examples/klp/replace-set-upgrade.yaml')]);
    expect(run.code).toBe(70);
    expect(run.stderr).toBe(
      "klpm: internal error in 'klpm simulate': Cannot read properties of undefined (reading 'name'); this is a bug: please report it with the output of the same command with --debug\n",
    );
  });

  it('shows the stack with --debug or KLPM_DEBUG=1, and only then', async () => {
    const file = join(ROOT, 'examples/klp/replace-set-upgrade.yaml');
    for (const run of [
      await withBrokenStdout(['simulate', file, '--debug']),
      await withBrokenStdout(['simulate', file], { KLPM_DEBUG: '1' }),
    ]) {
      expect(run.code).toBe(70);
      expect(run.stderr.split('\n').length).toBeGreaterThan(3);
      expect(run.stderr).toMatch(/\n {4}at /);
    }
  });

  it('bad input is exit 2 in one line; another klpm holding the lock is exit 5', async () => {
    let stderr = '';
    const ctx = {
      stdout: () => {},
      stderr: (t: string) => {
        stderr += t;
      },
      env: {},
      cwd: ROOT,
      uid: 0,
    };
    expect(await main(['simulate', join(ROOT, 'no-such-scenario.yaml')], ctx)).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    const root = mkdtempSync(join(tmpdir(), 'klpm-lock-'));
    dirs.push(root);
    mkdirSync(join(root, 'var/lib/klpm/repo'), { recursive: true });
    writeFileSync(
      join(root, 'var/lib/klpm/repo/index.json'),
      JSON.stringify({ format: 'klpm-repository-index', version: 1, updates: [] }),
    );
    mkdirSync(join(root, 'sys/kernel'), { recursive: true });
    writeFileSync(join(root, 'sys/kernel/notes'), Buffer.alloc(0));
    // the lock names a live process that is not this one: this test's parent
    writeFileSync(join(root, 'var/lib/klpm/klpm.lock'), `${process.ppid}\n`);
    stderr = '';
    expect(await main(['unload', 'lp', '--root', root, '--yes'], ctx)).toBe(5);
    expect(stderr).toMatch(/^klpm: another klpm \(pid \d+\) is changing this host/);
  });
});

describe.skipIf(!built)('output closed early (needs npm run build)', () => {
  it('ends quietly when the reader goes away', () => {
    // a log far larger than a pipe's buffer, so klpm is still writing when `head` has gone
    const dir = mkdtempSync(join(tmpdir(), 'klpm-epipe-'));
    dirs.push(dir);
    const n = 1500;
    const patches = Array.from(
      { length: n },
      (_, i) => `  - { name: p${i}, replaceSet: ${i}, objects: [{ name: vmlinux, funcs: [f${i}] }] }`,
    );
    const steps = Array.from({ length: n }, (_, i) => `  - load: p${i}`);
    const scenario = join(dir, 'many.yaml');
    writeFileSync(
      scenario,
      ['kernel: { livepatch: replace-set }', 'patches:', ...patches, 'steps:', ...steps, ''].join('\n'),
    );
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; node ${join(ROOT, 'bin/klpm.js')} simulate ${scenario} --log | head -c 1 >/dev/null`,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
