import { Command } from 'commander';
import type { CommandFactory } from './context.js';

/**
 * A command and how to load it. Commands are imported only when run, because their imports differ
 * a lot in cost: `klpm kmp check` needs neither zod, yaml nor the XML parser (about 140 ms of
 * start-up together), and its benchmark target is a fraction of depmod's wall time.
 */
export interface CommandEntry {
  readonly name: string;
  /** `args` are the words after the command's name: a group loads only the subcommand they name */
  readonly load: (args: ReadonlyArray<string>) => Promise<CommandFactory>;
}

/**
 * The factories to register for `args`: the named command's alone when `args` name one, so only
 * its imports load; none for `--version`, which commander answers before looking at commands;
 * otherwise (help, a typo) all of them, so commander can list them.
 */
export async function loadCommands(
  entries: ReadonlyArray<CommandEntry>,
  args: ReadonlyArray<string>,
): Promise<CommandFactory[]> {
  const named = entries.find((entry) => entry.name === args[0]);
  if (named !== undefined) return [await named.load(args.slice(1))];
  if (args[0] === '--version' || args[0] === '-V') return [];
  return Promise.all(entries.map((entry) => entry.load([])));
}

/**
 * A command group (`klpm kmp`, `klpm fleet`) whose subcommand `args` name is loaded alone. With
 * `own`, the group is also a command of its own (`klpm serve` runs; `klpm serve token` is a group).
 */
export function groupCommand(
  name: string,
  description: string,
  entries: ReadonlyArray<CommandEntry>,
  own?: () => Promise<CommandFactory>,
) {
  return async (args: ReadonlyArray<string>): Promise<CommandFactory> => {
    const factories = await loadCommands(entries, args);
    const base = own === undefined ? undefined : await own();
    return (ctx, setExit) => {
      const group = base === undefined ? new Command(name).description(description) : base(ctx, setExit);
      for (const sub of factories) group.addCommand(sub(ctx, setExit));
      return group;
    };
  };
}
