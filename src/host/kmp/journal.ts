import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LinkOperation } from '../../kabi/index.js';

/**
 * The append-only journal of link changes: one JSON object per line, fsync'd before the step it
 * announces starts and after it ends. A run killed midway is seen by the next one, which finishes
 * the depmod runs the dead one owed (the links themselves are re-planned from the disk).
 */
export type JournalRecord =
  | { readonly run: string; readonly event: 'begin'; readonly operations: number }
  | {
      readonly run: string;
      /** `skipped`: a depmod --no-depmod left owed; it stays owed after its run ends */
      readonly event: 'start' | 'done' | 'skipped';
      readonly seq: number;
      readonly operation: LinkOperation;
    }
  | { readonly run: string; readonly event: 'end' };

export class LinkJournal {
  private readonly fd: number;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  append(record: JournalRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Kernels whose depmod is owed: an unfinished run changed their links and never completed it, or a
 * run skipped it (--no-depmod); a later depmod of the kernel pays it.
 */
export function owedDepmods(path: string): string[] {
  if (!existsSync(path)) return [];
  const records: JournalRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as JournalRecord | null;
      if (isRecord(record)) records.push(record);
    } catch {
      // a line torn by a crash mid-write: it announced nothing that happened
    }
  }
  const ended = new Set(records.filter((r) => r.event === 'end').map((r) => r.run));
  const owed = new Set<string>();
  for (const r of records) {
    if (!('operation' in r)) continue;
    if (r.operation.op === 'depmod') {
      if (r.event === 'skipped') owed.add(r.operation.kernel);
      if (r.event === 'done') owed.delete(r.operation.kernel);
      continue;
    }
    if (!ended.has(r.run) && r.event === 'start') owed.add(r.operation.kernel);
  }
  return [...owed].sort();
}

/** A line as LinkJournal writes it; anything else announced nothing klpm did. */
function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (typeof r.run !== 'string' || typeof r.event !== 'string') return false;
  if (!('operation' in r)) return true;
  const op = r.operation as Record<string, unknown> | null;
  return typeof op === 'object' && op !== null && typeof op.op === 'string' && typeof op.kernel === 'string';
}
