import type { CommandFactory } from '../context.js';
import { kmpCommand } from './kmp.js';
import { simulateCommand } from './simulate.js';

/** Every klpm command, in the order `klpm --help` lists them. */
export const commands: ReadonlyArray<CommandFactory> = [simulateCommand, kmpCommand];
