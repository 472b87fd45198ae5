import { Command } from 'commander';
import { type KernelSource, kmpAddKernel } from '../../host/kmp/index.js';
import { nameProblem } from '../../input/index.js';
import type { CommandFactory } from '../context.js';
import { readNameArgument } from '../flags.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from '../kmp-output.js';
import { UsageError } from '../usage-error.js';

interface AddKernelFlags extends KmpFlags {
  readonly symvers?: string;
  readonly flavor?: string;
  readonly initrdModules?: string;
  readonly initrd?: string;
  readonly describe?: string;
  readonly allowGap?: boolean;
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
        '--initrd <image>',
        "the kernel's initramfs image (default: /boot/initrd.img-K, /boot/initramfs-K.img or /boot/initrd-K under the root)",
      )
      .option(
        '--initrd-modules <file>',
        "the modules of the kernel's initrd, one name or path per line (lsinitramfs or lsinitrd output will do)",
      )
      .option('--describe <file>', 'a JSON description of the kernel instead of its files (docs/kmp.md)')
      .option(
        '--allow-gap',
        'register the kernel even when a boot-critical KMP has no compatible build for it; it is then marked NOT BOOTABLE (what the kernel hooks use)',
      ),
    { depmod: true },
  ).action(async (kernel: string, flags: AddKernelFlags) => {
    readNameArgument(kernel, 'KERNEL', nameProblem);
    if (
      flags.describe !== undefined &&
      (flags.symvers ?? flags.flavor ?? flags.initrdModules ?? flags.initrd) !== undefined
    )
      throw new UsageError(
        '--describe gives the whole kernel: drop --symvers, --flavor, --initrd and --initrd-modules, or drop --describe',
      );
    if (flags.initrd !== undefined && flags.initrdModules !== undefined)
      throw new UsageError('--initrd reads the image, --initrd-modules takes a list: give one of them');
    const source: KernelSource =
      flags.describe !== undefined
        ? { from: 'describe', describe: flags.describe }
        : {
            from: 'tree',
            symvers: flags.symvers,
            flavor: flags.flavor,
            initrdModules: flags.initrdModules,
            initrd: flags.initrd,
          };
    report(
      ctx,
      setExit,
      flags,
      await kmpAddKernel(kmpOptions(ctx, flags, 'change'), kernel, source, flags.allowGap === true),
    );
  });
