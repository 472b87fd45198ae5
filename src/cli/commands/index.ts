import type { CommandFactory } from '../context.js';
import { applyCommand } from './apply.js';
import { checkCommand } from './check.js';
import { fleetCommand } from './fleet.js';
import { kmpCommand } from './kmp.js';
import { rollbackCommand } from './rollback.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';
import { unloadCommand } from './unload.js';

/** Every klpm command, in the order `klpm --help` lists them. */
export const commands: ReadonlyArray<CommandFactory> = [
  simulateCommand,
  statusCommand,
  applyCommand,
  rollbackCommand,
  unloadCommand,
  checkCommand,
  fleetCommand,
  kmpCommand,
];
