import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { comparedKernelLog, isComparedLine } from './harness/kernel-log.js';
import { E2E_DIR } from './harness/kernels.js';
import {
  type CommandOutput,
  commandOutput,
  GUEST_WORK,
  klpmGuestScript,
  logOfCommand,
  prepareRepositories,
  VERSIONS,
} from './harness/klpm-guest.js';
import { e2eKernels, type GuestRun, runGuest } from './harness/qemu.js';
import { simulatedLog } from './harness/simulator.js';
import { normalizeListing, SERIES_ATTRIBUTES, simulatedListing } from './harness/sysfs-listing.js';

/**
 * klpm itself on Debian's real 6.1, 6.12 and 7.3 kernels under qemu: `klpm status`, `apply`, `rollback`
 * and `unload` run in the guest against a repository naming the guest kernel's build ID. For each
 * scenario:
 * - each command that planned and ran: the kernel log it caused equals the log klpm predicted for
 *   its plan (the `predictedLog` of its --json output, or of a --dry-run just before);
 * - the whole scenario: the kernel log, and /sys/kernel/livepatch afterwards, equal what
 *   `klpm simulate` says of e2e/klpm-scenarios/<name>.yaml, the kernel-level steps klpm should take
 *   (including a reversed transition and a plan resumed after a kill);
 * - klpm's exit codes and JSON say what happened.
 */

const R1 = `--repo ${GUEST_WORK}/repo-v1`;
const R2 = `--repo ${GUEST_WORK}/repo-v2`;
const R2_FILES = `--repo ${GUEST_WORK}/repo-v2-files`;
const RB = `--repo ${GUEST_WORK}/repo-bad`;
const RE = `--repo ${GUEST_WORK}/repo-eol`;
const RV = `--repo ${GUEST_WORK}/repo-vermagic`;
const V1 = VERSIONS.klpm_e2e_v1;
const NO_SIGNALING = { signaling: false };

interface Outputs {
  readonly run: GuestRun;
  readonly buildId: string;
  command(label: string): CommandOutput;
  // biome-ignore lint/suspicious/noExplicitAny: klpm's --json output; the expectations check it field by field
  json(label: string): Record<string, any>;
}

interface KlpmScenario {
  /** the guest's shell lines (e2e/guest/klpm.sh) after the target module is loaded */
  readonly script: string;
  /** command label -> label whose JSON holds the plan it ran (itself, or a --dry-run before it) */
  readonly predicted: Readonly<Record<string, string>>;
  readonly check: (o: Outputs, release: string) => void;
}

const SCENARIOS: Readonly<Record<string, KlpmScenario>> = {
  'clean-status': {
    script: `klpm status-text status ${R2}\nklpm status status --json ${R2}`,
    predicted: {},
    check: (o, release) => {
      const status = o.json('status');
      expect(status).toMatchObject({
        release,
        buildId: o.buildId,
        livepatchable: { ok: true },
        patches: [],
        reboot: false,
        repository: {
          answers: [{ replaceSet: 0, answer: { status: 'supported', apply: { to: VERSIONS.klpm_e2e_v2 } } }],
        },
      });
      expect(status.kind).toBeUndefined();
      expect(o.command('status-text').out).toContain(`kernel: ${release}  build ID: ${o.buildId}`);
    },
  },
  'apply-v1': {
    script: `klpm plan apply ${R1} --dry-run --json\nklpm apply apply ${R1} --yes\nklpm status status --json ${R1}`,
    predicted: { apply: 'plan' },
    check: (o) => {
      expect(o.json('plan')).toMatchObject({ outcome: 'dry-run', plans: [{ kind: 'first-load' }] });
      expect(o.command('apply')).toMatchObject({ rc: 0, err: '' });
      expect(o.command('apply').out).toContain(
        `[1] load klpm_e2e_v1 ${V1} from ${GUEST_WORK}/repo-v1/klpm_e2e_v1.ko: done`,
      );
      expect(o.json('status').patches).toMatchObject([{ name: 'klpm_e2e_v1', enabled: true, version: '1' }]);
    },
  },
  'upgrade-v2': {
    script: [
      `klpm apply1 apply ${R1} --yes --json`,
      `klpm plan2 apply ${R2_FILES} --dry-run --json`,
      `klpm apply2 apply ${R2} --yes --json`,
    ].join('\n'),
    predicted: { apply1: 'apply1', apply2: 'apply2' },
    check: (o) => {
      // an index without manifests predicts what the committed manifests predict (and the kernel did)
      const logs = (label: string) =>
        (o.json(label).plans as Array<{ predictedLog: string[] }>).map((p) => p.predictedLog);
      expect(logs('plan2')).toEqual(logs('apply2'));
      expect(o.json('apply2')).toMatchObject({
        outcome: 'done',
        exitCode: 0,
        plans: [
          {
            kind: 'upgrade-atomic',
            steps: [
              { op: 'load', patch: 'klpm_e2e_v2' },
              { op: 'unload', patch: 'klpm_e2e_v1' },
            ],
          },
        ],
      });
    },
  },
  'rollback-unload': {
    script: [
      `klpm apply apply ${R2} --yes --json`,
      `klpm rollback rollback ${R2} --to ${V1} --yes --json`,
      `klpm unload unload klpm_e2e_v1 ${R2} --yes --json`,
      `klpm apply2 apply ${R2} --yes --json`,
      `klpm rollback2 rollback ${R2} --yes --json`,
      `klpm rollback3 rollback ${R2} --yes --json`,
    ].join('\n'),
    predicted: {
      apply: 'apply',
      rollback: 'rollback',
      unload: 'unload',
      apply2: 'apply2',
      rollback2: 'rollback2',
      rollback3: 'rollback3',
    },
    check: (o) => {
      const downgrade = {
        exitCode: 0,
        plans: [
          {
            kind: 'downgrade',
            steps: [
              { op: 'disable', patch: 'klpm_e2e_v2' },
              { op: 'wait-removed', patch: 'klpm_e2e_v2' },
              { op: 'unload', patch: 'klpm_e2e_v2' },
              { op: 'load', patch: 'klpm_e2e_v1', version: V1 },
            ],
          },
        ],
      };
      expect(o.json('rollback')).toMatchObject(downgrade);
      expect(o.json('unload')).toMatchObject({ exitCode: 0, plans: [{ kind: 'removal' }] });
      // Without --to: the newest offered version older than the applied one, then removal.
      expect(o.json('rollback2')).toMatchObject(downgrade);
      expect(o.json('rollback3')).toMatchObject({ exitCode: 0, plans: [{ kind: 'removal' }] });
    },
  },
  'stalled-reversed': {
    script: [
      `klpm apply1 apply ${R1} --yes --json`,
      'block 1',
      `klpm apply2 apply ${R2} --yes --transition-timeout 2 --signal-timeout 1`,
      `klpm status status --json ${R2}`,
    ].join('\n'),
    predicted: { apply1: 'apply1' },
    check: (o) => {
      const { rc, out } = o.command('apply2');
      expect(rc).toBe(1);
      expect(out).toMatch(
        /^ {4}klpm_e2e_v2: transition stalled; reversing it \(blocking: klpm_e2e_worker pid \d+\)$/m,
      );
      expect(out).toMatch(
        /^failed: the transition of 'klpm_e2e_v2' stalled and was reversed: the patch is not applied; blocking tasks: klpm_e2e_worker:\d+\n {2}klpm_e2e_worker \(pid \d+\): \[<0>\] klpm_e2e_sleep_fn\+/m,
      );
      expect(o.json('status')).toMatchObject({ patches: [{ name: 'klpm_e2e_v1', enabled: true }] });
      expect(o.json('status').interrupted).toBeUndefined();
    },
  },
  'interrupted-resumed': {
    script: [
      `klpm apply1 apply ${R1} --yes --json`,
      'block 1',
      `klpm_background apply2 apply ${R2} --yes --json --transition-timeout 600`,
      'wait_for /sys/kernel/livepatch/klpm_e2e_v2/transition 1 600',
      'sleep 2',
      `klpm busy apply ${R2} --yes --json`,
      'kill -9 $klpm_pid; wait $klpm_pid',
      `klpm status status --json ${R2}`,
      `klpm status-text status ${R2}`,
      'block 0',
      'klp_settle 600',
      `klpm apply3 apply ${R2} --yes --json`,
    ].join('\n'),
    predicted: { apply1: 'apply1' },
    check: (o) => {
      expect(o.command('apply2').out).toBe(''); // killed before it could print
      // A second klpm while the first holds the lock: exit 5, nothing done.
      expect(o.command('busy')).toMatchObject({ rc: 5, out: '' });
      expect(o.command('busy').err).toMatch(/^klpm: .*lock/);
      const status = o.json('status');
      expect(status.interrupted).toMatchObject({ kind: 'upgrade-atomic', steps: { '0': 'started' } });
      expect(status.patches).toMatchObject([
        { name: 'klpm_e2e_v1', enabled: true },
        { name: 'klpm_e2e_v2', enabled: true, transition: true },
      ]);
      expect(status.blocking).toEqual([expect.objectContaining({ comm: 'klpm_e2e_worker' })]);
      expect(o.command('status-text').out).toMatch(
        /^interrupted: plan \d+ \(upgrade-atomic\) started \S+ never finished; klpm apply resumes it$/m,
      );
      const resumed = o.json('apply3');
      expect(resumed).toMatchObject({ outcome: 'done', exitCode: 0, resumed: status.interrupted.id });
    },
  },
  refused: {
    script: [
      `klpm noyes apply ${R2}`,
      `klpm apply apply ${RB} --yes --json`,
      `klpm vermagic apply ${RV} --yes --json`,
      `klpm eol apply ${RE} --yes --json`,
      `klpm status status --json ${RE}`,
    ].join('\n'),
    predicted: {},
    check: (o, release) => {
      expect(o.command('noyes')).toMatchObject({ rc: 2, out: '' });
      expect(o.command('noyes').err).toMatch(/^klpm: .*--yes/);
      const report = o.json('apply');
      expect(report).toMatchObject({ outcome: 'refused', exitCode: 3 });
      expect(report.reason).toMatch(
        /^\/tmp\/klpm-e2e\/repo-bad\/klpm_e2e_v2\.ko: sha256 is [0-9a-f]{64}, the repository promises [0-9a-f]{64}: refusing to load patch 'klpm_e2e_v2'$/,
      );
      const vermagic = o.json('vermagic');
      expect(vermagic).toMatchObject({ outcome: 'refused', exitCode: 3, plans: [{ kind: 'first-load' }] });
      expect(vermagic.reason).toContain('/tmp/klpm-e2e/repo-vermagic/klpm_e2e_v1.ko: vermagic ');
      expect(vermagic.reason).toContain(`the running kernel is ${release}`);
      // The repository's newest livepatch is for another build: this one is end of life.
      expect(o.json('eol')).toMatchObject({ outcome: 'reboot', exitCode: 4, plans: [{ kind: 'reboot' }] });
      expect(o.json('status').repository).toMatchObject({
        answers: [{ replaceSet: 0, answer: { status: 'kernel-end-of-life', reboot: 'yes' } }],
      });
      for (const label of ['noyes', 'apply', 'vermagic', 'eol'])
        expect(comparedKernelLog(logOfCommand(o.run.dmesg, label), NO_SIGNALING), label).toEqual([]);
    },
  },
};

const companion = (name: string) => join(E2E_DIR, 'klpm-scenarios', `${name}.yaml`);

const { kernels, skipReason } = e2eKernels('klpm-driven scenarios');

describe.skipIf(skipReason !== undefined)('klpm on real kernels under qemu', () => {
  const runs = new Map<string, Outputs>();
  const key = (series: string, name: string) => `${series}/${name}`;

  beforeAll(async () => {
    const jobs = kernels.flatMap((kernel) =>
      Object.entries(SCENARIOS).map(([name, scenario]) => async () => {
        const run = await runGuest(kernel, klpmGuestScript(scenario.script), 300_000, prepareRepositories);
        const command = (label: string) => commandOutput(run.workDir, label);
        runs.set(key(kernel.series, name), {
          run,
          buildId: readFileSync(join(run.workDir, 'out', 'build-id'), 'utf8').trim(),
          command,
          json: (label) => {
            const { out, err, rc } = command(label);
            try {
              return JSON.parse(out);
            } catch {
              throw new Error(`klpm ${label} printed no JSON (exit ${rc}): ${out}${err}`);
            }
          },
        });
      }),
    );
    const queue = [...jobs];
    await Promise.all(
      [0, 1].map(async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await job();
      }),
    );
  }, 1_800_000);

  for (const kernel of kernels) {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      const get = () => {
        const outputs = runs.get(key(kernel.series, name));
        if (!outputs) throw new Error(`no guest run for ${name}`);
        return outputs;
      };
      it(`${kernel.release}: ${name}: klpm's exit codes and output`, () => {
        scenario.check(get(), kernel.release);
      });
      it(`${kernel.release}: ${name}: each command's kernel log equals the log klpm predicted for its plan`, () => {
        const o = get();
        for (const [label, from] of Object.entries(scenario.predicted)) {
          const predicted = (o.json(from).plans as Array<{ predictedLog: string[] }>)
            .flatMap((p) => p.predictedLog)
            .filter((line) => isComparedLine(line, NO_SIGNALING));
          expect(comparedKernelLog(logOfCommand(o.run.dmesg, label), NO_SIGNALING), label).toEqual(predicted);
        }
      });
      it(`${kernel.release}: ${name}: the kernel log and sysfs equal klpm simulate of the steps klpm should take`, () => {
        const o = get();
        expect(comparedKernelLog(o.run.dmesg, NO_SIGNALING)).toEqual(
          simulatedLog(companion(name), NO_SIGNALING),
        );
        expect(normalizeListing(o.run.sysfs)).toEqual(
          simulatedListing(
            readFileSync(companion(name), 'utf8'),
            companion(name),
            SERIES_ATTRIBUTES[kernel.series] ?? [],
          ),
        );
      });
    }
  }
});
