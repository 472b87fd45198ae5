import { Command } from 'commander';
import { type CommandEntry, loadCommands } from '../command-loader.js';
import type { CommandFactory } from '../context.js';

const subcommands: ReadonlyArray<CommandEntry> = [
  { name: 'check', load: async () => (await import('./kmp-check.js')).kmpCheckCommand },
  { name: 'status', load: async () => (await import('./kmp-status.js')).kmpStatusCommand },
  { name: 'resolve', load: async () => (await import('./kmp-resolve.js')).kmpResolveCommand },
  { name: 'link', load: async () => (await import('./kmp-link.js')).kmpLinkCommand },
  { name: 'add', load: async () => (await import('./kmp-add.js')).kmpAddCommand },
  { name: 'remove', load: async () => (await import('./kmp-remove.js')).kmpRemoveCommand },
  { name: 'add-kernel', load: async () => (await import('./kmp-add-kernel.js')).kmpAddKernelCommand },
  {
    name: 'remove-kernel',
    load: async () => (await import('./kmp-remove-kernel.js')).kmpRemoveKernelCommand,
  },
];

/** klpm kmp: kernel module packages (docs/kmp.md), with the subcommand `args` name loaded alone. */
export async function kmpCommand(args: ReadonlyArray<string>): Promise<CommandFactory> {
  const factories = await loadCommands(subcommands, args);
  return (ctx, setExit) => {
    const group = new Command('kmp').description(
      'kernel module packages: KABI compatibility and weak-updates links',
    );
    for (const sub of factories) group.addCommand(sub(ctx, setExit));
    return group;
  };
}
