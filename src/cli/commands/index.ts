import type { CommandFactory } from '../context.js';

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

/** Every klpm command, in the order `klpm --help` lists them. */
export const commands: ReadonlyArray<CommandEntry> = [
  { name: 'simulate', load: async () => (await import('./simulate.js')).simulateCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'apply', load: async () => (await import('./apply.js')).applyCommand },
  { name: 'rollback', load: async () => (await import('./rollback.js')).rollbackCommand },
  { name: 'unload', load: async () => (await import('./unload.js')).unloadCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'fleet', load: async () => (await import('./fleet.js')).fleetCommand },
  { name: 'kmp', load: async (args) => (await import('./kmp.js')).kmpCommand(args) },
];

/**
 * The factories to register for `args`: the named command's alone when `args` name one, so only
 * its imports load; otherwise (help, a typo, --version) all of them, so commander can list them.
 */
export async function loadCommands(
  entries: ReadonlyArray<CommandEntry>,
  args: ReadonlyArray<string>,
): Promise<CommandFactory[]> {
  const named = entries.find((entry) => entry.name === args[0]);
  if (named !== undefined) return [await named.load(args.slice(1))];
  return Promise.all(entries.map((entry) => entry.load([])));
}
