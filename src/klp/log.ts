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
