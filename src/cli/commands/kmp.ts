import { Command } from 'commander';
import type { CommandFactory } from '../context.js';
import { kmpCheckCommand } from './kmp-check.js';

/** klpm kmp: kernel module packages (docs/kmp.md). */
export const kmpCommand: CommandFactory = (ctx, setExit) =>
  new Command('kmp')
    .description('kernel module packages: KABI checks of module files against a kernel')
    .addCommand(kmpCheckCommand(ctx, setExit));
