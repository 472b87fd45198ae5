import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type BlockingTask, type JournalRun, openJournal, SysfsControl } from './apply/index.js';
import { type HostLivepatchView, readLivepatchView } from './livepatch-state.js';

/** Everything `klpm status` reports about livepatches on one machine. */
export interface LivepatchStatus extends HostLivepatchView {
  /** tasks holding back the transition in progress */
  readonly blocking: ReadonlyArray<BlockingTask>;
  /** a plan that never finished: klpm was killed while it ran (`klpm apply` resumes it) */
  readonly interrupted:
    | (Pick<JournalRun, 'id' | 'startedAt' | 'steps'> & { readonly kind: string })
    | undefined;
}

export function journalPath(root: string): string {
  return join(root, 'var/lib/klpm/journal.db');
}

/** Reads the livepatch status of the machine under `root`; needs no write access. */
export async function readLivepatchStatus(root: string): Promise<LivepatchStatus> {
  const view = await readLivepatchView(root);
  const blocking = view.patches.some((p) => p.transition) ? await new SysfsControl(root).blockingTasks() : [];
  let interrupted: LivepatchStatus['interrupted'];
  if (existsSync(journalPath(root))) {
    const journal = openJournal(journalPath(root));
    try {
      const run = journal.findUnfinishedRun();
      if (run) interrupted = { id: run.id, startedAt: run.startedAt, steps: run.steps, kind: run.plan.kind };
    } finally {
      journal.close();
    }
  }
  return { ...view, blocking, interrupted };
}
