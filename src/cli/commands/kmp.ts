import { Command } from 'commander';
import type { CommandFactory } from '../context.js';
import { kmpAddCommand } from './kmp-add.js';
import { kmpAddKernelCommand } from './kmp-add-kernel.js';
import { kmpCheckCommand } from './kmp-check.js';
import { kmpLinkCommand } from './kmp-link.js';
import { kmpRemoveCommand } from './kmp-remove.js';
import { kmpRemoveKernelCommand } from './kmp-remove-kernel.js';
import { kmpResolveCommand } from './kmp-resolve.js';
import { kmpStatusCommand } from './kmp-status.js';

/** klpm kmp: kernel module packages (docs/kmp.md). */
export const kmpCommand: CommandFactory = (ctx, setExit) => {
  const group = new Command('kmp').description(
    'kernel module packages: KABI compatibility and weak-updates links',
  );
  for (const sub of [
    kmpCheckCommand,
    kmpStatusCommand,
    kmpResolveCommand,
    kmpLinkCommand,
    kmpAddCommand,
    kmpRemoveCommand,
    kmpAddKernelCommand,
    kmpRemoveKernelCommand,
  ])
    group.addCommand(sub(ctx, setExit));
  return group;
};
