import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LivepatchModule, readLivepatchModule } from '../src/livepatch-module/index.js';
import { e2eKernels, type GuestRun, runGuest } from './harness/qemu.js';

/**
 * `klpm inspect` against the kernel: the klpm_lp_* modules (e2e/modules/, written like the kernel's
 * livepatch samples and selftest modules) and the e2e patches, read on the host from the same .ko
 * files, and loaded on Debian's 6.1 and 6.12 kernels in one boot each:
 * 1. klpm_e2e_target, then klpm_lp_sample, klpm_lp_callbacks and klpm_lp_shadow stacked (no replace):
 *    their /sys/kernel/livepatch objects and funcs (sympos 0 shown as 1) and, on 6.12, `replace`;
 * 2. klpm_lp_callbacks disabled (its unpatch callbacks run), klpm_lp_state_v2 loaded (replace,
 *    state 7 at version 2): it replaces the rest;
 * 3. klpm_lp_state_v1 (state 7 at version 1) loaded: the kernel refuses the lower state version
 *    (klp_is_patch_compatible, kernel/livepatch/state.c).
 * Callbacks are not in sysfs: each callback a patch's objects set must log its line exactly when the
 * kernel ran that phase for the patch, and no other callback line may appear.
 */
const { kernels, skipReason } = e2eKernels('livepatch module inspection');
const STACKED = ['klpm_lp_sample', 'klpm_lp_callbacks', 'klpm_lp_shadow'] as const;
const ALL = [...STACKED, 'klpm_lp_state_v1', 'klpm_lp_state_v2', 'klpm_e2e_v1', 'klpm_e2e_v2'] as const;

const SCRIPT = `. /work/steps.sh
step_load klpm_e2e_target; klp_settle 600
${STACKED.map((m) => `step_load ${m}; klp_settle 600`).join('\n')}
klp_dump_sysfs >/work/sysfs-stacked.txt
step_write "disable klpm_lp_callbacks" 0 "$KLP/klpm_lp_callbacks/enabled"; klp_settle 600
step_load klpm_lp_state_v2; klp_settle 600
klp_dump_sysfs >/work/sysfs-replaced.txt
echo "klpm-e2e: @ state downgrade" >/dev/kmsg
step_load klpm_lp_state_v1; klp_settle 600
klp_dump_sysfs >/work/sysfs.txt
`;

/** patch/object/func,sympos and patch/replace=V lines of a klp_dump_sysfs listing, for one patch. */
function sysfsOf(listing: string, patch: string, withReplace: boolean): string[] {
  return listing
    .split('\n')
    .filter((line) => line.startsWith(`${patch}/`))
    .filter(
      (line) =>
        (withReplace && line.startsWith(`${patch}/replace=`)) || /^[^/]+\/[^/=]+\/[^/=]+,\d+\/$/.test(line),
    )
    .sort();
}

/** The same lines from what klpm read of the file: sysfs names a func `<name>,<sympos>`, 0 as 1 (core.c klp_init_func). */
function expectedSysfs(module: LivepatchModule, withReplace: boolean): string[] {
  const { manifest } = module;
  return [
    ...manifest.objects.flatMap((o) =>
      o.funcs.map((f) => `${manifest.name}/${o.name}/${f.name},${f.sympos || 1}/`),
    ),
    ...(withReplace ? [`${manifest.name}/replace=${manifest.replace ? 1 : 0}`] : []),
  ].sort();
}

/** `<patch>: <callback>_callback: <object>` lines of the log, one string per line. */
const callbackLines = (dmesg: string) =>
  dmesg
    .split('\n')
    .map((line) =>
      /^(klpm_lp_\w+): (pre_patch|post_patch|pre_unpatch|post_unpatch)_callback: (\S+)$/.exec(line.trim()),
    )
    .filter((m) => m !== null)
    .map((m) => `${m[1]}: ${m[2]}: ${m[3]}`);

describe.skipIf(skipReason !== undefined)('klpm inspect against /sys/kernel/livepatch', () => {
  const runs = new Map<string, { run: GuestRun; modules: Map<string, LivepatchModule> }>();
  beforeAll(async () => {
    await Promise.all(
      kernels.map(async (kernel) => {
        const modules = new Map(
          ALL.map((name) => {
            const file = join(kernel.modules, `${name}.ko`);
            return [name, readLivepatchModule(readFileSync(file), file)] as const;
          }),
        );
        runs.set(kernel.series, { run: await runGuest(kernel, SCRIPT, 240_000), modules });
      }),
    );
  }, 600_000);

  for (const kernel of kernels) {
    const withReplace = kernel.series !== '6.1';
    const get = () => runs.get(kernel.series)!;
    const listing = (name: string) => {
      const file = join(get().run.workDir, name);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    };
    for (const patch of STACKED)
      it(`${kernel.release}: ${patch}: objects, funcs${withReplace ? ' and replace' : ''} equal sysfs`, () => {
        const module = get().modules.get(patch)!;
        expect(sysfsOf(listing('sysfs-stacked.txt'), patch, withReplace)).toEqual(
          expectedSysfs(module, withReplace),
        );
      });
    it(`${kernel.release}: klpm_lp_state_v2 replaces the stack; its objects and funcs equal sysfs`, () => {
      const module = get().modules.get('klpm_lp_state_v2')!;
      const replaced = listing('sysfs-replaced.txt');
      expect(sysfsOf(replaced, 'klpm_lp_state_v2', withReplace)).toEqual(expectedSysfs(module, withReplace));
      for (const patch of STACKED) expect(sysfsOf(replaced, patch, false)).toEqual([]);
    });
    it(`${kernel.release}: the callbacks klpm read run, and only those`, () => {
      const { run, modules } = get();
      // what the kernel did to each patch: patched, then (klpm_lp_callbacks) disabled
      const phases: Record<string, string[]> = {
        klpm_lp_sample: ['pre_patch', 'post_patch'],
        klpm_lp_callbacks: ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch'],
        klpm_lp_shadow: ['pre_patch', 'post_patch'],
        klpm_lp_state_v2: ['pre_patch', 'post_patch'],
        klpm_lp_state_v1: [],
      };
      const expected = Object.entries(phases).flatMap(([patch, ran]) =>
        modules
          .get(patch)!
          .manifest.objects.flatMap((o) =>
            o.callbacks.filter((c) => ran.includes(c)).map((c) => `${patch}: ${c}: ${o.name}`),
          ),
      );
      expect(callbackLines(run.dmesg).sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(4);
    });
    it(`${kernel.release}: a replace that lowers state 7 is refused, as the versions klpm read say`, () => {
      const { run, modules } = get();
      const v1 = modules.get('klpm_lp_state_v1')!.manifest;
      const v2 = modules.get('klpm_lp_state_v2')!.manifest;
      expect(v1.states[0]!.id).toBe(v2.states[0]!.id);
      expect(v1.states[0]!.version).toBeLessThan(v2.states[0]!.version);
      const after = run.dmesg.slice(run.dmesg.indexOf('klpm-e2e: @ state downgrade'));
      expect(after).toMatch(
        /livepatch: Livepatch patch \(klpm_lp_state_v1\) is not compatible with the already installed livepatches/,
      );
      expect(listing('sysfs.txt')).not.toMatch(/^klpm_lp_state_v1\//m);
    });
  }
});
