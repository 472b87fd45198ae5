/**
 * The part of a real kernel log that `klpm simulate --log` predicts, taken out of `dmesg`:
 * - every `livepatch:` line of the livepatch core, except the three whose count depends on timing
 *   (how often the transition work ran before the tasks switched): `... is sleeping on function ...`
 *   and `... is running` (pr_debug in klp_check_and_switch_task, kernel/livepatch/transition.c) and
 *   `signaling remaining tasks` (pr_notice in klp_send_signals, sent by itself after 15 tries);
 * - the callback lines of the e2e livepatch modules (`<patch>: <callback>_callback: ...`);
 * - the refused steps that the guest's steps.sh wrote to /dev/kmsg as `klpm-e2e: % <step>: <text>`,
 *   turned into the simulator's `% <step>: <ERRNO> <text>`.
 */

const TIMING_DEPENDENT = [/ is sleeping on function /, / is running$/];
const SIGNALING = /signaling remaining tasks$/;

/**
 * `signaling remaining tasks` is compared only in scenarios with a `signal` step, which wait past the
 * periodic retry's 15th try; elsewhere a slow guest could reach it during an ordinary short stall.
 */
export interface CompareOptions {
  readonly signaling: boolean;
}
const CALLBACK = /^[A-Za-z0-9_-]+: (pre|post)_(patch|unpatch)_callback: /;
const REFUSED = /^klpm-e2e: (% [^:]+): (.*)$/;

/** strerror texts (glibc and busybox print the same) of the errnos a livepatch step can meet. */
const ERRNO_NAMES: Readonly<Record<string, string>> = {
  'Operation not permitted': 'EPERM',
  'Permission denied': 'EACCES',
  'No such file or directory': 'ENOENT',
  'Resource temporarily unavailable': 'EAGAIN',
  'Device or resource busy': 'EBUSY',
  'File exists': 'EEXIST',
  'No such device': 'ENODEV',
  'Invalid argument': 'EINVAL',
  'Operation not supported': 'EOPNOTSUPP',
};

/** Whether a simulator log line or a kernel log line is one the comparison keeps. */
export function isComparedLine(line: string, options: CompareOptions): boolean {
  if (line.startsWith('% ')) return true;
  if (CALLBACK.test(line)) return true;
  if (SIGNALING.test(line)) return options.signaling;
  return line.startsWith('livepatch: ') && !TIMING_DEPENDENT.some((re) => re.test(line));
}

/** The compared lines of a `dmesg` text (printk.time=0, so no timestamps). */
export function comparedKernelLog(dmesg: string, options: CompareOptions): string[] {
  const lines: string[] = [];
  for (const raw of dmesg.split('\n')) {
    const line = raw.trimEnd();
    const refused = REFUSED.exec(line);
    if (refused) {
      const text = refused[2] ?? '';
      lines.push(`${refused[1]}: ${ERRNO_NAMES[text] ?? '?'} ${text}`);
    } else if (isComparedLine(line, options)) {
      lines.push(line);
    }
  }
  return lines;
}
