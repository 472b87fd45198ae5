import { Command } from 'commander';
import { kmpAdd } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from '../kmp-output.js';

/** klpm kmp add PACKAGE-DIR: stores a build (kmp.json + modules) and links it where it fits. */
export const kmpAddCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('add')
      .description('store a KMP build and link it into every kernel it is compatible with')
      .argument('<package-dir>', 'directory holding kmp.json and the module files (docs/kmp.md)'),
    { depmod: true },
  ).action(async (dir: string, flags: KmpFlags) =>
    report(ctx, setExit, flags, await kmpAdd(kmpOptions(ctx, flags, 'change'), dir)),
  );
