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
  { name: 'pack', load: async () => (await import('./kmp-pack.js')).kmpPackCommand },
  {
    name: 'install-hooks',
    load: async () => (await import('./kmp-install-hooks.js')).kmpInstallHooksCommand,
  },
  {
    name: 'remove-kernel',
    load: async () => (await import('./kmp-remove-kernel.js')).kmpRemoveKernelCommand,
  },
];

/** `klpm fleet`: commands over many hosts at once. */
const fleetCommands: ReadonlyArray<CommandEntry> = [
  { name: 'check', load: async () => (await import('./fleet-check.js')).fleetCheckCommand },
  { name: 'hosts', load: async () => (await import('./fleet-hosts.js')).fleetHostsCommand },
  { name: 'host', load: async () => (await import('./fleet-host.js')).fleetHostCommand },
  { name: 'summary', load: async () => (await import('./fleet-summary.js')).fleetSummaryCommand },
  {
    name: 'rollout',
    load: groupCommand('rollout', 'rollouts in waves on a fleet server', [
      {
        name: 'start',
        load: async () => (await import('./fleet-rollout-start.js')).fleetRolloutStartCommand,
      },
      {
        name: 'status',
        load: async () => (await import('./fleet-rollout-status.js')).fleetRolloutStatusCommand,
      },
      { name: 'pause', load: async () => (await import('./fleet-rollout-act.js')).fleetRolloutPauseCommand },
      {
        name: 'resume',
        load: async () => (await import('./fleet-rollout-act.js')).fleetRolloutResumeCommand,
      },
      { name: 'abort', load: async () => (await import('./fleet-rollout-act.js')).fleetRolloutAbortCommand },
      {
        name: 'rollback',
        load: async () => (await import('./fleet-rollout-act.js')).fleetRolloutRollbackCommand,
      },
    ]),
  },
  {
    name: 'pin',
    load: groupCommand('pin', 'versions a host or label stays on, whatever the rollouts do', [
      { name: 'set', load: async () => (await import('./fleet-pin.js')).fleetPinSetCommand },
      { name: 'list', load: async () => (await import('./fleet-pin.js')).fleetPinListCommand },
      { name: 'delete', load: async () => (await import('./fleet-pin.js')).fleetPinDeleteCommand },
    ]),
  },
];

/** `klpm serve` runs the fleet server; its groups make tokens and secrets in its database. */
const serveCommands: ReadonlyArray<CommandEntry> = [
  {
    name: 'token',
    load: groupCommand('token', 'admin and viewer tokens of the fleet API', [
      { name: 'create', load: async () => (await import('./serve-token-create.js')).serveTokenCreateCommand },
    ]),
  },
  {
    name: 'enroll',
    load: groupCommand('enroll', 'enrollment secrets agents trade for a host token', [
      {
        name: 'create',
        load: async () => (await import('./serve-enroll-create.js')).serveEnrollCreateCommand,
      },
    ]),
  },
];

/** `klpm repo`: klpm's JSON index made from livepatch module files (docs/repository.md). */
const repoCommands: ReadonlyArray<CommandEntry> = [
  { name: 'add', load: async () => (await import('./repo-add.js')).repoAddCommand },
  { name: 'build', load: async () => (await import('./repo-build.js')).repoBuildCommand },
];

/** `klpm agent`: the host side of the fleet. */
const agentCommands: ReadonlyArray<CommandEntry> = [
  { name: 'once', load: async () => (await import('./agent-once.js')).agentOnceCommand },
  { name: 'run', load: async () => (await import('./agent-run.js')).agentRunCommand },
];

/** Every klpm command, in the order `klpm --help` lists them; a command's module loads only when it runs. */
export const commands: ReadonlyArray<CommandEntry> = [
  { name: 'simulate', load: async () => (await import('./simulate.js')).simulateCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'apply', load: async () => (await import('./apply.js')).applyCommand },
  { name: 'rollback', load: async () => (await import('./rollback.js')).rollbackCommand },
  { name: 'unload', load: async () => (await import('./unload.js')).unloadCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'lint', load: async () => (await import('./lint.js')).lintCommand },
  { name: 'inspect', load: async () => (await import('./inspect.js')).inspectCommand },
  {
    name: 'repo',
    load: groupCommand('repo', "klpm's JSON index made from livepatch module files", repoCommands),
  },
  {
    name: 'fleet',
    load: groupCommand('fleet', 'evaluate many hosts at once, offline or over a fleet server', fleetCommands),
  },
  {
    name: 'serve',
    load: groupCommand(
      'serve',
      'the fleet server',
      serveCommands,
      async () => (await import('./serve.js')).serveCommand,
    ),
  },
  { name: 'agent', load: groupCommand('agent', 'report this host to a fleet server', agentCommands) },
  {
    name: 'kmp',
    load: groupCommand(
      'kmp',
      'kernel module packages: KABI compatibility and weak-updates links',
      kmpCommands,
    ),
  },
];
