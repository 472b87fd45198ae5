import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../src/klp/index.js';
import { guestScript } from './harness/guest-script.js';
import { comparedKernelLog } from './harness/kernel-log.js';
import { E2E_DIR } from './harness/kernels.js';
import { e2eKernels, type GuestRun, runGuest } from './harness/qemu.js';
import { simulatedLog } from './harness/simulator.js';
import { normalizeListing, SERIES_ATTRIBUTES, simulatedListing } from './harness/sysfs-listing.js';

/**
 * Every scenario in e2e/scenarios/ runs on Debian's real 6.1, 6.12 and 7.3 kernels under qemu, and the
 * kernel's log must equal what `klpm simulate --log` predicts for the same file. The real logs are
 * also kept as fixtures (e2e/fixtures/<series>/<scenario>.log, with the livepatch sysfs tree after
 * the scenario as <scenario>.sysfs); the simulator is held to them even where qemu is absent.
 * KLPM_E2E_WRITE_FIXTURES=1 rewrites the fixtures from a live run.
 */

const SCENARIOS_DIR = join(E2E_DIR, 'scenarios');
const FIXTURES_DIR = join(E2E_DIR, 'fixtures');
const scenarios = readdirSync(SCENARIOS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();
const scenarioFile = (name: string) => join(SCENARIOS_DIR, `${name}.yaml`);
const scenarioText = (name: string) => readFileSync(scenarioFile(name), 'utf8');
/** Compare `signaling remaining tasks` only where the scenario waits for the periodic signal. */
const compareOptions = (name: string) => ({
  signaling: parseScenario(scenarioText(name), scenarioFile(name)).steps.some((step) => 'signal' in step),
});

/**
 * Where the simulator and Debian's kernels disagree today. These comparisons are expected to fail (so
 * they fail loudly once the simulator is fixed, and the entry must then go); each says what the kernel does.
 */
const KNOWN_MISMATCHES: Readonly<Record<string, string>> = {};
const compare = (name: string) => (name in KNOWN_MISMATCHES ? it.fails : it);
const label = (name: string) =>
  name in KNOWN_MISMATCHES ? `${name} (known mismatch: ${KNOWN_MISMATCHES[name]})` : name;

const { kernels, skipReason } = e2eKernels('real-kernel scenarios');

/** Runs `tasks` with at most `limit` at a time (two guests keep two cores busy). */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

describe.skipIf(skipReason !== undefined)('real kernels under qemu', () => {
  const runs = new Map<string, GuestRun>();
  const key = (series: string, scenario: string) => `${series}/${scenario}`;

  beforeAll(async () => {
    const jobs = kernels.flatMap((kernel) =>
      scenarios.map((name) => async () => {
        const script = guestScript(parseScenario(scenarioText(name), scenarioFile(name)));
        runs.set(key(kernel.series, name), await runGuest(kernel, script));
      }),
    );
    await pool(jobs, 2);
    if (process.env.KLPM_E2E_WRITE_FIXTURES === '1') {
      for (const kernel of kernels) {
        const dir = join(FIXTURES_DIR, kernel.series);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'KERNEL'), `${kernel.release}\n`);
        for (const name of scenarios) {
          const run = runs.get(key(kernel.series, name));
          if (run === undefined) continue;
          writeFileSync(
            join(dir, `${name}.log`),
            comparedKernelLog(run.dmesg, compareOptions(name))
              .map((line) => `${line}\n`)
              .join(''),
          );
          writeFileSync(join(dir, `${name}.sysfs`), run.sysfs);
        }
      }
    }
  });

  for (const kernel of kernels) {
    for (const name of scenarios) {
      compare(name)(`${kernel.release}: ${label(name)}: the kernel log equals klpm simulate --log`, () => {
        const run = runs.get(key(kernel.series, name));
        expect(run, `no guest run for ${name}`).toBeDefined();
        expect(comparedKernelLog(run?.dmesg ?? '', compareOptions(name))).toEqual(
          simulatedLog(scenarioFile(name), compareOptions(name)),
        );
      });
      it(`${kernel.release}: ${name}: /sys/kernel/livepatch afterwards equals the simulator's sysfs view`, () => {
        const run = runs.get(key(kernel.series, name));
        const attributes = SERIES_ATTRIBUTES[kernel.series] ?? [];
        expect(normalizeListing(run?.sysfs ?? '')).toEqual(
          simulatedListing(scenarioText(name), scenarioFile(name), attributes),
        );
      });
    }
  }
});

describe('real kernel logs kept as fixtures', () => {
  const series = existsSync(FIXTURES_DIR) ? readdirSync(FIXTURES_DIR).sort() : [];
  it('has fixtures for 6.1, 6.12 and 7.3', () => {
    expect(series).toEqual(['6.1', '6.12', '7.3']);
  });
  for (const s of series) {
    for (const name of scenarios) {
      compare(name)(`${s}: ${label(name)}: the recorded kernel log equals klpm simulate --log`, () => {
        const recorded = readFileSync(join(FIXTURES_DIR, s, `${name}.log`), 'utf8')
          .split('\n')
          .filter(Boolean);
        expect(recorded).toEqual(simulatedLog(scenarioFile(name), compareOptions(name)));
      });
      it(`${s}: ${name}: the recorded sysfs tree equals the simulator's sysfs view`, () => {
        const recorded = normalizeListing(readFileSync(join(FIXTURES_DIR, s, `${name}.sysfs`), 'utf8'));
        expect(recorded).toEqual(
          simulatedListing(scenarioText(name), scenarioFile(name), SERIES_ATTRIBUTES[s] ?? []),
        );
      });
    }
  }
});
