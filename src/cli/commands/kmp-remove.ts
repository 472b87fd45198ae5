import { Command } from 'commander';
import { kmpRemove } from '../../host/kmp/index.js';
import { nameProblem } from '../../input/index.js';
import type { CommandFactory } from '../context.js';
import { readNameArgument } from '../flags.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from '../kmp-output.js';

/** klpm kmp remove PACKAGE [VERSION]: unlinks the builds, relinks what remains, drops them from the store. */
export const kmpRemoveCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('remove')
      .description(
        'remove a KMP (or one version of it), refused when a kernel would lose a boot-critical module',
      )
      .argument('<package>', 'package name')
      .argument('[version]', 'only this version')
      .option(
        '--built-for <kernel>',
        'only the build made for this kernel (what a package for one kernel removes)',
      ),
    { depmod: true },
  ).action(async (pkg: string, version: string | undefined, flags: KmpFlags & { builtFor?: string }) => {
    // both name directories of the store (usr/lib/klpm/kmp/<package>/<version>), and the kernel's: checked as names
    readNameArgument(pkg, 'PACKAGE', nameProblem);
    if (version !== undefined) readNameArgument(version, 'VERSION', nameProblem);
    if (flags.builtFor !== undefined) readNameArgument(flags.builtFor, '--built-for', nameProblem);
    report(
      ctx,
      setExit,
      flags,
      await kmpRemove(kmpOptions(ctx, flags, 'change'), pkg, version, flags.builtFor),
    );
  });
