import { Command } from 'commander';
import type { CommandFactory } from '../context.js';
import { runUpdateCommand, type UpdateFlags, withUpdateFlags } from '../update-command.js';

/** klpm apply: the newest cumulative livepatch the repository offers for the running kernel build. */
export const applyCommand: CommandFactory = (ctx, setExit) =>
  withUpdateFlags(
    new Command('apply').description(
      'apply the newest cumulative livepatch for the running kernel build (resumes an interrupted plan first)',
    ),
    true,
  ).action((flags: UpdateFlags) => runUpdateCommand(ctx, setExit, flags, { type: 'apply' }, 'apply'));
