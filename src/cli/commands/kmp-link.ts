import { Command } from 'commander';
import { kmpLink } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';
import { type KmpFlags, kmpOptions, report, withKmpFlags } from '../kmp-output.js';

/** klpm kmp link: applies the link plan, then runs depmod for each kernel whose links changed. */
export const kmpLinkCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(new Command('link').description("bring every kernel's weak-updates/ in line with the store"), {
    depmod: true,
  }).action(async (flags: KmpFlags) =>
    report(ctx, setExit, flags, await kmpLink(kmpOptions(ctx, flags, 'change'))),
  );
