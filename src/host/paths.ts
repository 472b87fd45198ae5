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

/** The path of one of klpm's places on the machine under `root`. */
export function statePath(root: string, place: keyof typeof statePaths): string {
  return join(root, statePaths[place]);
}
