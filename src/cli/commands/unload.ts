import { Command } from 'commander';
import { moduleNameProblem } from '../../input/index.js';
import type { CommandFactory } from '../context.js';
import { readNameArgument } from '../flags.js';
import { runUpdateCommand, type UpdateFlags, withUpdateFlags } from '../update-command.js';

/** klpm unload PATCH: disable the patch, wait for its sysfs directory to go, remove its module. */
export const unloadCommand: CommandFactory = (ctx, setExit) =>
  withUpdateFlags(
    new Command('unload')
      .description('disable a livepatch, wait until the kernel has freed it, and remove its module')
      .argument('<patch>', 'the patch (module) name, as `klpm status` lists it'),
    true,
  ).action((patch: string, flags: UpdateFlags) =>
    runUpdateCommand(
      ctx,
      setExit,
      flags,
      { type: 'unload', patch: readNameArgument(patch, 'PATCH', moduleNameProblem) },
      'unload',
    ),
  );
