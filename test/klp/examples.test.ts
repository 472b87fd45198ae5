import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseScenario,
  runScenario,
  type Scenario,
  type SysfsPatchView,
  simulationLog,
} from '../../src/klp/index.js';
import { runCli } from '../support/run-cli.js';

/**
 * Every example scenario with a sibling .log is run through the simulator and its log compared line by
 * line. The logs under examples/klp/selftests/ are the kernel's own selftest transcripts
 * (tools/testing/selftests/livepatch/test-*.sh, check_result blocks), so this checks the model against
 * what a real kernel printed, not against itself. Scenarios listed in known-mismatches.txt run as
 * `it.fails` with the reason given there, so a fix in the simulator shows up as a failure to remove them.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const examples = join(root, 'examples');
const selftests = join(examples, 'klp', 'selftests');

function scenarioFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** `name reason...` lines; `#` starts a comment. */
function knownMismatches(): Map<string, string> {
  const path = join(selftests, 'known-mismatches.txt');
  const known = new Map<string, string>();
  if (!existsSync(path)) return known;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [name, ...reason] = line.split(/\s+/);
    known.set(name!, reason.join(' ') || 'no reason given');
  }
  return known;
}

function loadScenario(path: string): Scenario {
  return parseScenario(readFileSync(path, 'utf8'), relative(root, path));
}

function logLines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

/** A line diff (longest common subsequence) of two short logs, for a failure message a person can read. */
function describeDifference(expected: string[], actual: string[]): string {
  const n = expected.length;
  const m = actual.length;
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i]![j] =
        expected[i] === actual[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${expected[i++]}`);
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) out.push(`- ${expected[i++]}`);
    else out.push(`+ ${actual[j++]}`);
  }
  return `log differs (- expected from the kernel, + simulated):\n${out.join('\n')}`;
}

const withLogs = scenarioFiles(examples).filter((path) => existsSync(path.replace(/\.yaml$/, '.log')));
const known = knownMismatches();

describe('example scenarios reproduce their expected kernel logs', () => {
  it('finds the kernel selftest scenarios', () => {
    expect(withLogs.filter((path) => path.startsWith(selftests)).length).toBeGreaterThanOrEqual(20);
  });

  it('lists only existing scenarios in known-mismatches.txt', () => {
    const names = new Set(withLogs.map((path) => basename(path, '.yaml')));
    expect([...known.keys()].filter((name) => !names.has(name))).toEqual([]);
  });

  for (const path of withLogs) {
    const name = basename(path, '.yaml');
    const reason = known.get(name);
    const title = `${relative(examples, path)}${reason ? ` (known mismatch: ${reason})` : ''}`;
    (reason ? it.fails : it)(title, () => {
      const expected = logLines(readFileSync(path.replace(/\.yaml$/, '.log'), 'utf8'));
      const actual = simulationLog(runScenario(loadScenario(path)));
      if (actual.join('\n') !== expected.join('\n')) {
        expect.fail(`${relative(root, path)}: ${describeDifference(expected, actual)}`);
      }
    });
  }
});

describe('klpm simulate FILE --log prints exactly the expected log', () => {
  it.each(
    withLogs
      .filter((path) => !known.has(basename(path, '.yaml')))
      .map((path) => [relative(examples, path), path]),
  )('%s', async (_name, path) => {
    const { code, stdout, stderr } = await runCli(['simulate', path, '--log']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(path.replace(/\.yaml$/, '.log'), 'utf8'));
  });
});

/**
 * The selftests also read sysfs between steps: test-sysfs.sh with check_sysfs_value, test-callbacks.sh
 * waiting for `transition` to read 1 while the busy module stalls it, test-livepatch.sh counting the
 * entries of /sys/kernel/livepatch (`*` here). Each check runs the scenario's first `after` steps and
 * compares the value the kernel test expects in /sys/kernel/livepatch/<file>.
 */
type SysfsCheck = { scenario: string; after: number; file: string; value: number };
const sysfsChecks: ReadonlyArray<SysfsCheck> = [
  { scenario: 'test-sysfs-01-sysfs-test', after: 1, file: 'test_klp_livepatch/enabled', value: 1 },
  { scenario: 'test-sysfs-01-sysfs-test', after: 1, file: 'test_klp_livepatch/transition', value: 0 },
  { scenario: 'test-sysfs-01-sysfs-test', after: 1, file: 'test_klp_livepatch/vmlinux/patched', value: 1 },
  ...[0, 1, 0].map((value, i) => ({
    scenario: 'test-sysfs-02-sysfs-test-object-patched',
    after: i + 1,
    file: 'test_klp_callbacks_demo/test_klp_callbacks_mod/patched',
    value,
  })),
  {
    scenario: 'test-callbacks-09-busy-target-module',
    after: 3,
    file: 'test_klp_callbacks_demo/transition',
    value: 1,
  },
  { scenario: 'test-livepatch-03-atomic-replace-livepatch', after: 3, file: '*', value: 3 },
  { scenario: 'test-livepatch-03-atomic-replace-livepatch', after: 4, file: '*', value: 1 },
  {
    scenario: 'test-sysfs-03-sysfs-test-replace-enabled',
    after: 1,
    file: 'test_klp_atomic_replace/replace',
    value: 1,
  },
  {
    scenario: 'test-sysfs-04-sysfs-test-replace-disabled',
    after: 1,
    file: 'test_klp_atomic_replace/replace',
    value: 0,
  },
  // 7.3's test-sysfs.sh "sysfs test stack_order value": 1, 2, 3 as loaded; 1 and 2 once the middle goes
  ...(
    [
      [1, 'test_klp_livepatch', 1],
      [2, 'test_klp_callbacks_demo', 2],
      [3, 'test_klp_syscall', 3],
      [5, 'test_klp_livepatch', 1],
      [5, 'test_klp_syscall', 2],
    ] as const
  ).map(([after, patch, value]) => ({
    scenario: 'test-sysfs-05-sysfs-test-stack-order-value',
    after,
    file: `${patch}/stack_order`,
    value,
  })),
];

/** What `cat /sys/kernel/livepatch/<file>` prints in the simulated kernel, or undefined when absent. */
function readSysfs(sysfs: ReadonlyArray<SysfsPatchView>, file: string): number | undefined {
  if (file === '*') return sysfs.length;
  const [patchName, ...rest] = file.split('/');
  const patch = sysfs.find((view) => view.name === patchName);
  if (patch === undefined) return undefined;
  if (rest.length === 2 && rest[1] === 'patched')
    return patch.objects.find((obj) => obj.name === rest[0])?.patched;
  const attribute = rest[0];
  if (attribute === 'enabled' || attribute === 'transition') return patch[attribute];
  if (attribute === 'replace') return patch.replace;
  if (attribute === 'stack_order') return patch.stack_order;
  return undefined;
}

describe('sysfs values the selftests read between steps', () => {
  for (const check of sysfsChecks) {
    it(`${check.scenario}: after step ${check.after}, ${check.file} reads ${check.value}`, () => {
      const scenario = loadScenario(join(selftests, `${check.scenario}.yaml`));
      const sim = runScenario({ ...scenario, steps: scenario.steps.slice(0, check.after) });
      expect(readSysfs(sim.sysfs, check.file)).toBe(check.value);
    });
  }
});
