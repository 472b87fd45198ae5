import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LinkOperation } from '../../kabi/index.js';
import { weakUpdatesDir } from '../../kabi/index.js';
import { statePath } from '../paths.js';
import { LinkJournal } from './journal.js';
import { realDirUnder } from './module-dir.js';
import { tempPrefix } from './state.js';

export interface LinkPlanOptions {
  /** run `depmod -b <root> -a <kernel>` after a kernel's links changed */
  readonly depmod: boolean;
  /** kernels a killed run owed a depmod, run even when no link changes now */
  readonly owedDepmods?: ReadonlyArray<string>;
}

export interface DepmodFailure {
  readonly kernel: string;
  readonly status: number | null;
  readonly stderr: string;
}

/**
 * Applies link operations under `root`. Each link is made under a temporary name and renamed over
 * its final name, so a reader sees the old link or the new one, never none; the journal is written
 * before and after each step.
 */
export function executeLinkPlan(
  root: string,
  operations: ReadonlyArray<LinkOperation>,
  options: LinkPlanOptions,
): { readonly depmodFailures: DepmodFailure[]; readonly depmodOwed: string[] } {
  const planned = new Set(operations.filter((o) => o.op === 'depmod').map((o) => o.kernel));
  const all: LinkOperation[] = [
    ...operations,
    ...(options.owedDepmods ?? [])
      .filter((kernel) => !planned.has(kernel))
      .map((kernel): LinkOperation => ({ op: 'depmod', kernel })),
  ];
  if (all.length === 0) return { depmodFailures: [], depmodOwed: [] };
  const journal = new LinkJournal(statePath(root, 'kmpJournal'));
  const run = randomUUID();
  const failures: DepmodFailure[] = [];
  const owed: string[] = [];
  try {
    journal.append({ run, event: 'begin', operations: all.length });
    all.forEach((operation, seq) => {
      // a depmod skipped (--no-depmod) is journaled as such: it stays owed until one runs
      if (operation.op === 'depmod' && !options.depmod) {
        journal.append({ run, event: 'skipped', seq, operation });
        owed.push(operation.kernel);
        return;
      }
      journal.append({ run, event: 'start', seq, operation });
      const failure = apply(root, operation, options.depmod);
      if (failure) failures.push(failure);
      journal.append({ run, event: 'done', seq, operation });
    });
    journal.append({ run, event: 'end' });
  } finally {
    journal.close();
  }
  return { depmodFailures: failures, depmodOwed: owed };
}

function apply(root: string, operation: LinkOperation, depmod: boolean): DepmodFailure | undefined {
  const dir = join(root, weakUpdatesDir(operation.kernel));
  switch (operation.op) {
    case 'link': {
      mkdirSync(dir, { recursive: true });
      const temp = join(dir, tempPrefix + operation.name);
      rmSync(temp, { force: true });
      // relative, so the link works both under --root and in the booted system; from where the
      // directory really is, so it also works on merged /usr (realDirUnder)
      symlinkSync(relative(realDirUnder(root, weakUpdatesDir(operation.kernel)), operation.target), temp);
      renameSync(temp, join(dir, operation.name));
      syncDir(dir);
      return undefined;
    }
    case 'unlink':
      rmSync(join(dir, operation.name), { force: true });
      syncDir(dir);
      return undefined;
    case 'depmod': {
      if (!depmod) return undefined; // not reached: executeLinkPlan leaves skipped depmods owed
      const result = spawnSync('depmod', ['-b', root, '-a', operation.kernel], { encoding: 'utf8' });
      if (result.error) return { kernel: operation.kernel, status: null, stderr: result.error.message };
      if (result.status !== 0)
        return { kernel: operation.kernel, status: result.status, stderr: result.stderr };
      return undefined;
    }
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
