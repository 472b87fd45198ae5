import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJournal } from '../../../src/host/livepatch/index.js';
import { readLivepatchStatus } from '../../../src/host/livepatch/status.js';
import { statePath } from '../../../src/host/paths.js';
import { runCli } from '../../support/run-cli.js';

const require = createRequire(import.meta.url);

/**
 * Builds a root from a listing a real kernel printed (e2e/fixtures/<series>/*.sysfs: `dir/`,
 * `file=value`, a write-only file by name, then /sys/module/<patch>/version lines).
 */
function rootFromRealListing(fixture: string): string {
  const root = mkdtempSync(join(tmpdir(), 'klpm-status-'));
  const listing = readFileSync(new URL(`../../../e2e/fixtures/${fixture}`, import.meta.url), 'utf8');
  for (const line of listing.split('\n').filter(Boolean)) {
    const path = line.startsWith('/')
      ? line.split('=')[0]!
      : join('sys/kernel/livepatch', line.split('=')[0]!);
    const full = join(root, path);
    if (line.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, line.includes('=') ? `${line.slice(line.indexOf('=') + 1)}\n` : '');
    }
  }
  mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(join(root, 'proc/sys/kernel/osrelease'), '6.12.117+deb12-amd64\n');
  writeFileSync(
    join(root, 'proc/modules'),
    'klpm_e2e_v2 16384 1 - Live 0x0 (K)\nklpm_e2e_target 16384 1 klpm_e2e_v2, Live 0x0 (O)\n',
  );
  return root;
}

describe('klpm status', () => {
  it('reads a real 6.12 livepatch tree: kind, replace attribute, objects, funcs, version', async () => {
    const status = await readLivepatchStatus(rootFromRealListing('6.12/upgrade-v2.sysfs'));
    expect(status).toMatchObject({
      release: '6.12.117+deb12-amd64',
      kind: 'replace-bool',
      attributes: ['replace'],
      blocking: [],
    });
    expect(status.patches).toEqual([
      {
        name: 'klpm_e2e_v2',
        enabled: true,
        transition: false,
        replace: true,
        replaceSet: undefined,
        provides: undefined,
        obsoletes: undefined,
        stackOrder: undefined,
        version: '2',
        objects: [
          {
            name: 'klpm_e2e_target',
            patched: true,
            funcs: [
              { name: 'klpm_e2e_sleep_fn', sympos: 1 },
              { name: 'klpm_e2e_value_show', sympos: 1 },
            ],
          },
          { name: 'vmlinux', patched: true, funcs: [{ name: 'cmdline_proc_show', sympos: 1 }] },
        ],
      },
    ]);
    expect(status.modules).toEqual(['klpm_e2e_v2', 'klpm_e2e_target']);
  });

  it('a 6.1 tree has no replace attribute', async () => {
    const status = await readLivepatchStatus(rootFromRealListing('6.1/upgrade-v2.sysfs'));
    expect(status.attributes).toEqual([]);
    expect(status.patches[0]?.replace).toBeUndefined();
  });

  it('reports an interrupted plan from the journal, and prints text and JSON', async () => {
    const root = rootFromRealListing('6.12/upgrade-v2.sysfs');
    const journal = openJournal(statePath(root, 'journal'));
    journal.startRun(
      { kind: 'upgrade-atomic', steps: [], notes: [], predictedLog: [], predictedSysfs: [] },
      new Date('2026-11-22T10:00:00Z'),
    );
    journal.close();
    const text = await runCli(['status', '--root', root]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('kernel: 6.12.117+deb12-amd64  build ID: unknown');
    expect(text.stdout).toContain('livepatch: yes (livepatches can be applied); kind: replace-bool');
    expect(text.stdout).toContain('  klpm_e2e_v2 2: enabled replace=1');
    expect(text.stdout).toContain(
      'interrupted: plan 1 (upgrade-atomic) started 2026-11-22T10:00:00.000Z never finished',
    );
    const json = JSON.parse((await runCli(['status', '--root', root, '--json'])).stdout);
    expect(json.interrupted).toMatchObject({ id: 1, kind: 'upgrade-atomic' });
  });

  it('an empty machine: no patch, kind unknown', async () => {
    const { stdout } = await runCli(['status', '--root', mkdtempSync(join(tmpdir(), 'klpm-empty-'))]);
    expect(stdout).toBe(
      [
        'kernel: unknown  build ID: unknown',
        'livepatch: no (the kernel has no livepatch support (no /sys/kernel/livepatch: CONFIG_LIVEPATCH)); kind: not shown until a patch is loaded',
        'patches: none',
        'reboot needed: no',
        '',
      ].join('\n'),
    );
  });
});

// `klpm status` as an ordinary user on a host where root ran klpm before: reading state never needs
// write access, whatever journal mode an older klpm left behind. Runs the built CLI as `nobody`.
const BIN = join(import.meta.dirname, '../../../bin/klpm.js');
const canSwitchUser =
  process.getuid?.() === 0 && existsSync(join(import.meta.dirname, '../../../dist/cli/main.js'));

describe.skipIf(!canSwitchUser)(
  'klpm status as an unprivileged user (needs root to switch, and npm run build)',
  () => {
    function asNobody(args: string[]) {
      return spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args],
        {
          encoding: 'utf8',
        },
      );
    }

    /** A root-owned /var/lib/klpm the user may read but not write, holding a journal with one unfinished run. */
    function rootOwnedJournal(mode: 'wal' | 'delete'): string {
      const root = rootFromRealListing('6.12/upgrade-v2.sysfs');
      chmodSync(root, 0o755);
      const path = statePath(root, 'journal');
      const journal = openJournal(path);
      journal.startRun(
        { kind: 'upgrade-atomic', steps: [], notes: [], predictedLog: [], predictedSysfs: [] },
        new Date('2026-11-22T10:00:00Z'),
      );
      journal.close();
      if (mode === 'wal') {
        // as a killed writer of an older klpm left it: WAL mode, the newest run only in the -wal file
        const killed = spawnSync(process.execPath, [
          '-e',
          `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
         const db = new Database(${JSON.stringify(path)});
         db.pragma('journal_mode = WAL');
         db.prepare("insert into runs (started_at, state, plan) values ('2026-11-22T11:00:00.000Z', 'running', ?)")
           .run(JSON.stringify({ kind: 'downgrade', steps: [], notes: [], predictedLog: [], predictedSysfs: [] }));
         process.kill(process.pid, 'SIGKILL');`,
        ]);
        expect(killed.signal).toBe('SIGKILL');
        expect(existsSync(`${path}-wal`)).toBe(true);
        rmSync(`${path}-shm`, { force: true });
      }
      for (let dir = dirname(path); dir.startsWith(root); dir = dirname(dir)) chmodSync(dir, 0o755);
      chmodSync(path, 0o644);
      if (existsSync(`${path}-wal`)) chmodSync(`${path}-wal`, 0o644);
      return root;
    }

    it('reads a root-owned journal left in WAL mode, with its last runs in the -wal file', () => {
      const root = rootOwnedJournal('wal');
      const run = asNobody(['status', '--root', root, '--json']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout).interrupted).toMatchObject({ kind: 'downgrade' });
    });

    it('reads a root-owned journal in rollback mode, and a host with no journal', () => {
      const root = rootOwnedJournal('delete');
      const run = asNobody(['status', '--root', root, '--json']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout).interrupted).toMatchObject({ kind: 'upgrade-atomic' });
      const empty = rootFromRealListing('6.12/upgrade-v2.sysfs');
      chmodSync(empty, 0o755);
      const none = asNobody(['status', '--root', empty, '--json']);
      expect(none.status).toBe(0);
      expect(JSON.parse(none.stdout).interrupted).toBeUndefined();
      expect(existsSync(statePath(empty, 'journal'))).toBe(false);
    });

    it('names a journal that is not a database, and still shows the rest', () => {
      const root = rootFromRealListing('6.12/upgrade-v2.sysfs');
      chmodSync(root, 0o755);
      mkdirSync(dirname(statePath(root, 'journal')), { recursive: true });
      writeFileSync(statePath(root, 'journal'), 'not sqlite at all, just text\n'.repeat(40));
      for (let dir = dirname(statePath(root, 'journal')); dir.startsWith(root); dir = dirname(dir))
        chmodSync(dir, 0o755);
      const run = asNobody(['status', '--root', root, '--json']);
      expect(run.status).toBe(0);
      const json = JSON.parse(run.stdout);
      expect(json.patches.map((p: { name: string }) => p.name)).toEqual(['klpm_e2e_v2']);
      expect(json.problems).toEqual([
        {
          path: statePath(root, 'journal'),
          problem: expect.stringContaining('not a klpm journal SQLite can read'),
        },
      ]);
    });
  },
);
