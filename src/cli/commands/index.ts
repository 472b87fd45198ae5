import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { simulateCommand } from './simulate.js';

/** Builds one command; `setExit` records the exit code the command wants (default 0). */
export type CommandFactory = (ctx: CliContext, setExit: (code: number) => void) => Command;

/** Every klpm command, in the order `klpm --help` lists them. */
export const commands: ReadonlyArray<CommandFactory> = [simulateCommand];
