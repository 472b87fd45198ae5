import { Command } from 'commander';
import { kmpRemoveKernel } from '../../host/kmp/index.js';
import { nameProblem } from '../../input/index.js';
import type { CommandFactory } from '../context.js';
import { readNameArgument } from '../flags.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from '../kmp-output.js';

/** klpm kmp remove-kernel K: what a package manager calls before removing a kernel. */
export const kmpRemoveKernelCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('remove-kernel')
      .description("drop a kernel's weak-updates links and its registration")
      .argument('<kernel>', 'kernel release, as uname -r'),
    { depmod: true },
  ).action(async (kernel: string, flags: KmpFlags) => {
    readNameArgument(kernel, 'KERNEL', nameProblem);
    report(ctx, setExit, flags, await kmpRemoveKernel(kmpOptions(ctx, flags, 'change'), kernel));
  });
