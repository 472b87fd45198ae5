import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Plan, PlanStep } from '../../plan/index.js';
import { errnoWords } from '../read-problem.js';

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
  const there = placeOf(path);
  if (there === 'absent') return { run: undefined };
  if (there !== 'file') return { problem: there };
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
    // the message only: the copy's temporary path means nothing to the operator
    return {
      problem: `not a klpm journal SQLite can read (${(error as Error).message.split(join(dir, basename(path))).join(path)})`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `path` is a file, absent, or what stands there instead (a directory, a symlink loop). */
function placeOf(path: string): 'file' | 'absent' | string {
  try {
    lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    return errnoWords(error);
  }
  try {
    return statSync(path).isFile() ? 'file' : 'not a file, expected the journal (an SQLite database)';
  } catch (error) {
    return errnoWords(error);
  }
}

/** More steps than any plan has: a run that holds more was not written by klpm. */
const MAX_STEPS = 10000;

/** A plan as klpm writes it into the journal: a kind and a list of steps, each an op on a patch. */
function planOf(text: string, run: number): Plan {
  const plan = JSON.parse(text) as Partial<Plan> | null;
  const ops = new Set(['load', 'disable', 'wait-removed', 'unload']);
  if (
    typeof plan !== 'object' ||
    plan === null ||
    typeof plan.kind !== 'string' ||
    !Array.isArray(plan.steps) ||
    !plan.steps.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        ops.has((s as PlanStep).op) &&
        typeof (s as PlanStep).patch === 'string',
    )
  )
    throw new Error(`run ${run} holds no plan klpm wrote`);
  return plan as Plan;
}

function journalOf(db: Database.Database): Journal {
  const insertRun = db.prepare('insert into runs (started_at, state, plan) values (?, ?, ?)');
  const insertStep = db.prepare(
    'insert into steps (run_id, idx, op, patch, phase, detail, at) values (?, ?, ?, ?, ?, ?, ?)',
  );
  const updateRun = db.prepare('update runs set state = ?, finished_at = ? where id = ?');
  const selectSteps = db.prepare(
    `select idx, phase from steps where run_id = ? order by rowid limit ${MAX_STEPS}`,
  );
  type RunRow = { id: number; started_at: string; state: RunState; plan: string };
  const toRun = (row: RunRow): JournalRun => {
    const steps = new Map<number, StepPhase>();
    for (const s of selectSteps.all(row.id) as Array<{ idx: number; phase: StepPhase }>)
      steps.set(s.idx, s.phase);
    return {
      id: row.id,
      startedAt: row.started_at,
      state: row.state,
      plan: planOf(row.plan, row.id),
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
