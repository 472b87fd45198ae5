import type { CommandEntry } from '../command-loader.js';

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
