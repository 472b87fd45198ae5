import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Plan, PlanStep } from '../../plan/index.js';

/**
 * The apply journal: every plan run and every step, written before and after the step runs, so a
 * klpm killed mid-plan is seen by the next one (`klpm status`, `klpm apply` resumes). SQLite with a
 * rollback journal (journal_mode=DELETE) and synchronous=FULL: a record is on disk before the step it
 * announces starts. Not WAL: a WAL database cannot be read without creating or writing its `-shm`
 * file, so `klpm status` as an ordinary user would fail on a root-owned /var/lib/klpm; a rollback
 * journal database is read with read access alone.
 */

export type RunState = 'running' | 'done' | 'failed';
export type StepPhase = 'started' | 'done' | 'failed' | 'skipped';

export interface JournalRun {
  readonly id: number;
  readonly startedAt: string;
  readonly state: RunState;
  readonly plan: Plan;
  /** per step index, its last phase */
  readonly steps: ReadonlyMap<number, StepPhase>;
}

export interface Journal {
  startRun(plan: Plan, now: Date): number;
  recordStep(run: number, index: number, step: PlanStep, phase: StepPhase, detail: string, now: Date): void;
  finishRun(run: number, state: Exclude<RunState, 'running'>, now: Date): void;
  /** the newest run that never finished: klpm was killed while it ran */
  findUnfinishedRun(): JournalRun | undefined;
  lastRuns(count: number): JournalRun[];
  close(): void;
}

const SCHEMA = `
create table if not exists runs (
  id integer primary key autoincrement,
  started_at text not null,
  finished_at text,
  state text not null check (state in ('running', 'done', 'failed')),
  plan text not null
);
create table if not exists steps (
  run_id integer not null references runs(id),
  idx integer not null,
  op text not null,
  patch text not null,
  phase text not null check (phase in ('started', 'done', 'failed', 'skipped')),
  detail text not null,
  at text not null
);
create index if not exists steps_run on steps(run_id, idx);
`;

/** Opens the journal for writing (the executor's), creating it, and turning a WAL journal of an older klpm into a rollback one. */
export function openJournal(path: string): Journal {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  return journalOf(db);
}

/**
 * The run a killed klpm left unfinished, read without write access to the journal or its directory
 * (`klpm status` as any user). A journal still in WAL mode (written by an older klpm, or one whose
 * writer was killed before it switched) cannot be opened read-only without its `-shm`: then a copy
 * of the database and its `-wal` is read in a private temporary directory. Returns the problem in
 * words when neither can be read; the caller reports it.
 */
export function readUnfinishedRunAt(path: string): { run: JournalRun | undefined } | { problem: string } {
  if (!existsSync(path)) return { run: undefined };
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return { run: journalOf(db).findUnfinishedRun() };
    } finally {
      db.close();
    }
  } catch {
    // read-only open of a WAL database, or a journal SQLite cannot read: try a private copy
  }
  const dir = mkdtempSync(join(tmpdir(), 'klpm-journal-'));
  try {
    const copy = join(dir, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    const db = new Database(copy, { fileMustExist: true });
    try {
      return { run: journalOf(db).findUnfinishedRun() };
    } finally {
      db.close();
    }
  } catch (error) {
    return { problem: `not a klpm journal SQLite can read (${(error as Error).message})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function journalOf(db: Database.Database): Journal {
  const insertRun = db.prepare('insert into runs (started_at, state, plan) values (?, ?, ?)');
  const insertStep = db.prepare(
    'insert into steps (run_id, idx, op, patch, phase, detail, at) values (?, ?, ?, ?, ?, ?, ?)',
  );
  const updateRun = db.prepare('update runs set state = ?, finished_at = ? where id = ?');
  const selectSteps = db.prepare('select idx, phase from steps where run_id = ? order by rowid');
  type RunRow = { id: number; started_at: string; state: RunState; plan: string };
  const toRun = (row: RunRow): JournalRun => {
    const steps = new Map<number, StepPhase>();
    for (const s of selectSteps.all(row.id) as Array<{ idx: number; phase: StepPhase }>)
      steps.set(s.idx, s.phase);
    return {
      id: row.id,
      startedAt: row.started_at,
      state: row.state,
      plan: JSON.parse(row.plan) as Plan,
      steps,
    };
  };
  return {
    startRun: (plan, now) =>
      Number(insertRun.run(now.toISOString(), 'running', JSON.stringify(plan)).lastInsertRowid),
    recordStep: (run, index, step, phase, detail, now) => {
      insertStep.run(run, index, step.op, step.patch, phase, detail, now.toISOString());
    },
    finishRun: (run, state, now) => {
      updateRun.run(state, now.toISOString(), run);
    },
    findUnfinishedRun: () => {
      const row = db.prepare("select * from runs where state = 'running' order by id desc limit 1").get() as
        | RunRow
        | undefined;
      return row ? toRun(row) : undefined;
    },
    lastRuns: (count) =>
      (db.prepare('select * from runs order by id desc limit ?').all(count) as RunRow[]).map(toRun),
    close: () => db.close(),
  };
}
