import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/support/run-cli.js';
import { comparedKernelLog } from './harness/kernel-log.js';
import { findKlpBuildOutput } from './harness/klp-build.js';
import { hasQemu, runGuest } from './harness/qemu.js';

/**
 * The klp-build livepatches (.ci/klp-build.sh) on the kernel they were built against: the 7.3 tree's
 * own bzImage (a klp-build module loads only there), one boot under qemu. v1 is loaded, then v2
 * replaces it (atomic replace: klp-build sets replace) and v1 is unloaded, the steps `klpm lint`
 * plans; the kernel's livepatch lines must equal the log lint predicts for v1's first load and for
 * the upgrade, without the pr_debug lines (the minimal config has no dynamic debug, so the kernel
 * never prints them). /proc/version and /proc/cmdline show each fix live.
 */
const found = findKlpBuildOutput();
const output = 'output' in found ? found.output : undefined;
/**
 * Without CONFIG_HAVE_RELIABLE_STACKTRACE (on x86 selected by UNWINDER_ORC or STACK_VALIDATION,
 * arch/x86/Kconfig; tinyconfig picks UNWINDER_GUESS) the kernel has no reliable stack trace
 * (klp_have_reliable_stack, include/linux/livepatch.h): klp_enable_patch warns "This architecture doesn't have support
 * for the livepatch consistency model" and no task ever switches (klp_check_stack), so v1's
 * transition never completes and v2's load is refused with EBUSY, which is what a boot of the first
 * config showed (docs/operations.md). klpm models kernels that have it, as every distribution kernel
 * does, so the comparison needs a config that has it.
 */
const reliableStack =
  output !== undefined &&
  /^CONFIG_HAVE_RELIABLE_STACKTRACE=y$/m.test(readFileSync(join(output.dir, 'config'), 'utf8'));
const skipReason = !hasQemu()
  ? 'qemu-system-x86_64 not found'
  : 'reason' in found
    ? found.reason
    : !reliableStack
      ? 'the klp-build kernel config has no CONFIG_HAVE_RELIABLE_STACKTRACE (a transition never completes there)'
      : undefined;
if (skipReason !== undefined) console.warn(`klp-build e2e: ${skipReason}: skipped`);

/** lint's predicted log without the lines only dynamic debug prints. */
async function predicted(args: string[]): Promise<string[]> {
  const r = await runCli(['lint', ...args, '--json']);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { log: string[]; debugOnly: number[] };
  return report.log.filter((_, i) => !report.debugOnly.includes(i));
}

describe.skipIf(skipReason !== undefined)('klp-build modules on the self-built 7.3 kernel', () => {
  it('load v1, replace it by v2: the real log is the predicted one', async () => {
    const out = output!;
    const script = [
      '. /work/steps.sh',
      'step_load klpm-klp-v1; klp_settle 600',
      'cat /proc/version >/work/version-1.txt',
      'step_load klpm-klp-v2; klp_settle 600',
      'step_unload klpm_klp_v1; klp_settle 100',
      'cat /proc/version >/work/version-2.txt',
      'cat /proc/cmdline >/work/cmdline-2.txt',
      'klp_dump_sysfs >/work/sysfs.txt',
      // /init's own ending, then a reboot: the minimal config has no ACPI, so /init's `poweroff -f`
      // would only halt, while a reboot ends qemu (-no-reboot)
      'dmesg >/work/dmesg.log; sync; reboot -f',
      '',
    ].join('\n');
    const kernel = {
      release: out.release,
      series: '7.3',
      vmlinuz: out.bzImage,
      initramfs: out.initramfs,
      modules: out.dir,
    };
    const run = await runGuest(kernel, script, 300_000);
    const expected = [...(await predicted([out.v1])), ...(await predicted([out.v2, '--previous', out.v1]))];
    expect(comparedKernelLog(run.dmesg, { signaling: false })).toEqual(expected);
    const text = (name: string) =>
      existsSync(join(run.workDir, name)) ? readFileSync(join(run.workDir, name), 'utf8') : '';
    expect(text('version-1.txt')).toContain('klpm-klp-build fix 1');
    expect(text('version-2.txt')).toContain('klpm-klp-build fix 1');
    expect(text('cmdline-2.txt')).toContain('klpm-klp-build fix 2');
    expect(run.sysfs).toContain('klpm_klp_v2/enabled=1');
    expect(run.sysfs).not.toContain('klpm_klp_v1/');
  }, 400_000);
});
