import { Command } from 'commander';
import type { CommandFactory } from '../context.js';
import { fleetCheckCommand } from './fleet-check.js';

/** klpm fleet: commands over many hosts at once. */
export const fleetCommand: CommandFactory = (ctx, setExit) =>
  new Command('fleet').description('evaluate many hosts at once').addCommand(fleetCheckCommand(ctx, setExit));
