import { Command } from 'commander';
import { kmpAddKernel } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from './kmp-output.js';

/** klpm kmp add-kernel K --describe FILE: what a package manager calls after installing a kernel. */
export const kmpAddKernelCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('add-kernel')
      .description('register an installed kernel and link the KMP builds compatible with it')
      .argument('<kernel>', 'kernel release, as uname -r')
      .requiredOption(
        '--describe <file>',
        'kernel description: symvers, in-tree modules, initrd (docs/kmp.md)',
      ),
  ).action(async (kernel: string, flags: KmpFlags & { describe: string }) =>
    report(ctx, setExit, flags, await kmpAddKernel(kmpOptions(ctx, flags, true), kernel, flags.describe)),
  );
