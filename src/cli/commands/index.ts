import type { CommandFactory } from '../context.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';

/** Every klpm command, in the order `klpm --help` lists them. */
export const commands: ReadonlyArray<CommandFactory> = [simulateCommand, statusCommand];
