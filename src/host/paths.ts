import { join } from 'node:path';

/**
 * Every place klpm keeps its own state, relative to the machine's root (`/` on a live host). The
 * single list: a path klpm writes that is not here is a bug.
 */
export const statePaths = {
  /** the livepatch executor's journal (SQLite) */
  journal: '/var/lib/klpm/journal.db',
  /** one klpm changes the machine at a time */
  lock: '/var/lib/klpm/klpm.lock',
  /** the repository `apply`, `rollback` and `status` read when no --repo is given */
  repository: '/var/lib/klpm/repo',
  /** kernels registered by `klpm kmp add-kernel`, one `<K>.json` each */
  kmpKernels: '/var/lib/klpm/kmp/kernels',
  /** the weak-updates link journal (JSON lines) */
  kmpJournal: '/var/lib/klpm/kmp-journal.jsonl',
  /** the fleet agent's host id, token and report sequence (mode 0600) */
  agent: '/var/lib/klpm/agent/state.json',
  /** the fleet server's SQLite database when `klpm serve` is given no --db */
  fleetDb: '/var/lib/klpm/fleet.db',
} as const;

/**
 * klpm's caches (rebuildable, never state): `$KLPM_CACHE`, else `$HOME/.cache/klpm`; undefined when
 * neither is set. `modules`: what module files were read to (kmp check); `manifests`: the manifests
 * read from livepatch module files, keyed by the file's sha256.
 */
export function cachePath(env: NodeJS.ProcessEnv, place: 'modules' | 'manifests'): string | undefined {
  const base = env.KLPM_CACHE || (env.HOME === undefined ? undefined : join(env.HOME, '.cache', 'klpm'));
  return base === undefined ? undefined : join(base, place);
}

/** The path of one of klpm's places on the machine under `root`. */
export function statePath(root: string, place: keyof typeof statePaths): string {
  return join(root, statePaths[place]);
}

/** A command that may change the machine under --root. */
export type WritingCommand =
  | 'apply'
  | 'rollback'
  | 'unload'
  | 'kmp link'
  | 'kmp add'
  | 'kmp remove'
  | 'kmp add-kernel'
  | 'kmp remove-kernel'
  | 'kmp install-hooks'
  | 'agent'
  | 'serve';

/** klpm's places and what the livepatch executor writes on the running kernel. */
const livepatchWrites = [
  statePaths.journal,
  `${statePaths.journal}-journal`,
  statePaths.lock,
  '/sys/kernel/livepatch/*/enabled',
  '/sys/kernel/livepatch/*/signal',
  '/sys/kernel/livepatch/*/force',
] as const;

/** The store, the registrations, the link journal, weak-updates links and depmod's outputs. */
const kmpWrites = [
  statePaths.lock,
  '/usr/lib/klpm/kmp/*/*/*',
  '/usr/lib/klpm/kmp/*/*/*.klpm-new',
  `${statePaths.kmpKernels}/*.json`,
  `${statePaths.kmpKernels}/*.json.klpm-new`,
  statePaths.kmpJournal,
  '/lib/modules/*/weak-updates/*',
  '/lib/modules/*/modules.*',
] as const;

/**
 * Every path each command may write under its --root, as globs relative to the root (`*` is one
 * path segment; a directory's glob covers what is inside it). The single table: a write elsewhere
 * is a bug, and a fuzzer runs each command on hostile roots and checks the tree against it.
 * Reading commands (status, check, kmp status|resolve|check, simulate, fleet) write nothing under
 * the root and are not listed. Directories on the way to these paths may be created.
 */
const WRITES: Readonly<Record<WritingCommand, ReadonlyArray<string>>> = {
  apply: livepatchWrites,
  rollback: livepatchWrites,
  unload: livepatchWrites,
  'kmp link': kmpWrites,
  'kmp add': kmpWrites,
  'kmp remove': kmpWrites,
  'kmp add-kernel': kmpWrites,
  'kmp remove-kernel': kmpWrites,
  /** the kernel hooks (packaging/kmp), each through a temporary name */
  'kmp install-hooks': [
    '/etc/kernel/postinst.d/50-klpm',
    '/etc/kernel/postinst.d/50-klpm.klpm-new',
    '/etc/kernel/postrm.d/50-klpm',
    '/etc/kernel/postrm.d/50-klpm.klpm-new',
    '/usr/lib/kernel/install.d/40-klpm.install',
    '/usr/lib/kernel/install.d/40-klpm.install.klpm-new',
  ],
  /** the agent's state, fetched files and spool, its marker in the kernel log; and what apply writes */
  agent: [
    statePaths.agent,
    `${statePaths.agent}.tmp`,
    '/var/lib/klpm/agent/files/*',
    '/var/lib/klpm/agent/spool/*',
    '/dev/kmsg',
    ...livepatchWrites,
  ],
  /** the default database and its SQLite side files */
  serve: [
    statePaths.fleetDb,
    `${statePaths.fleetDb}-journal`,
    `${statePaths.fleetDb}-wal`,
    `${statePaths.fleetDb}-shm`,
  ],
};

/** The paths (globs under the root) `command` may write; none for a command that only reads. */
export function writesOf(command: string): ReadonlyArray<string> {
  return Object.hasOwn(WRITES, command) ? WRITES[command as WritingCommand] : [];
}
