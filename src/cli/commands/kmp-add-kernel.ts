import { Command } from 'commander';
import { type KernelSource, kmpAddKernel } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';
import { UsageError } from '../usage-error.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from './kmp-output.js';

interface AddKernelFlags extends KmpFlags {
  readonly symvers?: string;
  readonly flavor?: string;
  readonly initrdModules?: string;
  readonly describe?: string;
}

/** klpm kmp add-kernel K: what a package manager calls after installing a kernel. */
export const kmpAddKernelCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('add-kernel')
      .description(
        'read an installed kernel (/lib/modules/K, its symvers), register it and link the KMP builds compatible with it',
      )
      .argument('<kernel>', 'kernel release, as uname -r')
      .option(
        '--symvers <file>',
        "the kernel's Module.symvers or symvers-K.gz (default: /boot/symvers-K.gz, /lib/modules/K/symvers.gz, /usr/src/linux-headers-K/Module.symvers or /usr/src/kernels/K/Module.symvers under the root)",
      )
      .option('--flavor <flavor>', "the kernel's flavor (default: what follows the release's last '-')")
      .option(
        '--initrd-modules <file>',
        "the modules of the kernel's initrd, one name or path per line (lsinitramfs or lsinitrd output will do)",
      )
      .option('--describe <file>', 'a JSON description of the kernel instead of its files (docs/kmp.md)'),
  ).action(async (kernel: string, flags: AddKernelFlags) => {
    if (flags.describe !== undefined && (flags.symvers ?? flags.flavor ?? flags.initrdModules) !== undefined)
      throw new UsageError(
        '--describe gives the whole kernel: drop --symvers, --flavor and --initrd-modules, or drop --describe',
      );
    const source: KernelSource =
      flags.describe !== undefined
        ? { from: 'describe', describe: flags.describe }
        : { from: 'tree', symvers: flags.symvers, flavor: flags.flavor, initrdModules: flags.initrdModules };
    report(ctx, setExit, flags, await kmpAddKernel(kmpOptions(ctx, flags, true), kernel, source));
  });
