import type { CommandFactory } from '../context.js';
import { checkCommand } from './check.js';
import { fleetCommand } from './fleet.js';
import { kmpCommand } from './kmp.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';

/** Every klpm command, in the order `klpm --help` lists them. */
export const commands: ReadonlyArray<CommandFactory> = [
  simulateCommand,
  statusCommand,
  checkCommand,
  fleetCommand,
  kmpCommand,
];
