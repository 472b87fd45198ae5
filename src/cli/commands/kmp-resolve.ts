import { Command } from 'commander';
import { kmpLink } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from '../kmp-output.js';

/** klpm kmp resolve: the chosen builds and the link plan, changing nothing. */
export const kmpResolveCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('resolve').description('print the builds chosen per kernel and the link plan (dry run)'),
    { depmod: false },
  ).action(async (flags: KmpFlags) =>
    report(ctx, setExit, flags, await kmpLink(kmpOptions(ctx, flags, 'dry-run'))),
  );
