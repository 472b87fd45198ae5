import { Command } from 'commander';
import type { CommandFactory } from '../context.js';
import { runUpdateCommand, type UpdateFlags, withUpdateFlags } from '../update-command.js';

/** klpm rollback: back to an older cumulative livepatch (disable, unload, load: never a backwards replace). */
export const rollbackCommand: CommandFactory = (ctx, setExit) =>
  withUpdateFlags(
    new Command('rollback')
      .description(
        'go back to an older livepatch: --to VERSION, or else the newest one older than the applied one (none: the patch is removed)',
      )
      .option('--to <version-release>', 'the livepatch version to go back to'),
    true,
  ).action((flags: UpdateFlags & { to?: string }) =>
    runUpdateCommand(ctx, setExit, flags, { type: 'rollback', to: flags.to }, 'rollback'),
  );
