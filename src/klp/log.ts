import { formatEvent } from './events.js';
import type { Simulation } from './simulate.js';

/** The kernel log a simulation predicts, one line per event; a refused step as `% <step>: <ERRNO> <message>`. */
export function simulationLog(simulation: Simulation): string[] {
  const lines: string[] = [];
  for (const step of simulation.steps) {
    for (const event of step.events) lines.push(formatEvent(event));
    if (step.error) lines.push(`% ${step.step}: ${step.error.errno} ${step.error.message}`);
  }
  return lines;
}

/**
 * The lines the kernel prints only with dynamic debug on: kernel/livepatch/transition.c logs
 * `initializing …`, `completing …`, `reversing …` and `canceling …` with pr_debug, so a stock
 * kernel's dmesg lacks them (its `starting …` and `… complete` are pr_notice, and show).
 */
const DEBUG_ONLY =
  /^livepatch: '[^']*': (?:(?:initializing|completing) (?:un)?patching transition|reversing transition from |canceling patching transition)/;

export function isDebugOnlyLine(line: string): boolean {
  return DEBUG_ONLY.test(line);
}

/** The indexes of a log's debug-only lines, the `debugOnly` field beside `log` in JSON output. */
export function debugOnlyIndexes(log: ReadonlyArray<string>): number[] {
  const indexes: number[] = [];
  log.forEach((line, i) => {
    if (isDebugOnlyLine(line)) indexes.push(i);
  });
  return indexes;
}

/** The text marker of a debug-only line (never in `--log`, which the e2e suite compares with dmesg). */
export const DEBUG_MARK = '  (debug)';
