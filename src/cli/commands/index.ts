import { type CommandEntry, groupCommand } from '../command-loader.js';

/** `klpm kmp`: kernel module packages (docs/kmp.md). */
const kmpCommands: ReadonlyArray<CommandEntry> = [
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

/** `klpm fleet`: commands over many hosts at once. */
const fleetCommands: ReadonlyArray<CommandEntry> = [
  { name: 'check', load: async () => (await import('./fleet-check.js')).fleetCheckCommand },
];

/** Every klpm command, in the order `klpm --help` lists them; a command's module loads only when it runs. */
export const commands: ReadonlyArray<CommandEntry> = [
  { name: 'simulate', load: async () => (await import('./simulate.js')).simulateCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'apply', load: async () => (await import('./apply.js')).applyCommand },
  { name: 'rollback', load: async () => (await import('./rollback.js')).rollbackCommand },
  { name: 'unload', load: async () => (await import('./unload.js')).unloadCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'fleet', load: groupCommand('fleet', 'evaluate many hosts at once', fleetCommands) },
  {
    name: 'kmp',
    load: groupCommand(
      'kmp',
      'kernel module packages: KABI compatibility and weak-updates links',
      kmpCommands,
    ),
  },
];
