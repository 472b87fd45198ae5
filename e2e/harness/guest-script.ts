import { renderStep, type Scenario, type Step } from '../../src/klp/index.js';

/**
 * Turns a simulator scenario into the busybox shell script the guest runs (/work/scenario.sh), one
 * call of e2e/guest/steps.sh per step, so that the real kernel and `klpm simulate` run the same file.
 *
 * The guest has one task that can block a transition: the kthread klpm_e2e_worker of
 * klpm_e2e_target, which sleeps in klpm_e2e_sleep_fn while .../parameters/block is 1. A `block` step
 * must name that function; the task's name in the scenario is free.
 */

const TARGET = 'klpm_e2e_target';
const SLEEP_FN = 'klpm_e2e_sleep_fn';
/** Tenths of a second to wait for transitions after a step: long when nothing blocks them. */
const SETTLE_FREE = 600;
const SETTLE_BLOCKED = 30;

/** Shell-quotes a word (names and step texts only ever hold [A-Za-z0-9_ =-]). */
function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

function stepCommand(step: Step): string {
  const text = quote(renderStep(step));
  if ('load' in step) {
    const params = step.params === undefined ? '' : ` pre_patch_ret=${step.params.pre_patch_ret}`;
    return `step_load ${step.load}${params}`;
  }
  if ('unload' in step) return `step_unload ${step.unload}`;
  if ('enable' in step) return `step_write ${text} 1 $KLP/${step.enable}/enabled`;
  if ('disable' in step) return `step_write ${text} 0 $KLP/${step.disable}/enabled`;
  // No `signal` attribute since 5.1: the step is the moment the periodic retry sends its fake signals
  // (every 15 tries, one a second, klp_try_complete_transition), so the guest waits past it.
  if ('signal' in step) return 'sleep 17';
  if ('force' in step) return `step_write ${text} 1 $KLP/${step.force}/force`;
  if ('set' in step)
    return `step_write ${text} ${step.set.pre_patch_ret} /sys/module/${step.set.patch}/parameters/pre_patch_ret`;
  if ('block' in step) {
    if (
      step.block.func !== SLEEP_FN ||
      (step.block.object ?? TARGET) !== TARGET ||
      step.block.interruptible
    ) {
      throw new Error(
        `the e2e guest can only block in ${TARGET}'s ${SLEEP_FN} (not interruptible), not in '${step.block.func}'`,
      );
    }
    return `step_write ${text} 1 /sys/module/${TARGET}/parameters/block`;
  }
  return `step_write ${text} 0 /sys/module/${TARGET}/parameters/block`;
}

/** The guest script for a scenario: each step, then a bounded wait for the transitions it started. */
export function guestScript(scenario: Scenario): string {
  const lines = ['. /work/steps.sh'];
  const blocked = new Set<string>();
  for (const step of scenario.steps) {
    if ('block' in step) blocked.add(step.block.task);
    if ('unblock' in step) blocked.delete(step.unblock);
    lines.push(`${stepCommand(step)}; klp_settle ${blocked.size > 0 ? SETTLE_BLOCKED : SETTLE_FREE}`);
  }
  lines.push('klp_dump_sysfs >/work/sysfs.txt');
  return `${lines.join('\n')}\n`;
}
