import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Plan, PlanStep } from '../../plan/index.js';

/**
 * The apply journal: every plan run and every step, written before and after the step runs, so a
 * klpm killed mid-plan is seen by the next one (`klpm status`, `klpm apply` resumes). SQLite in WAL
 * mode with synchronous=FULL: a record is on disk before the step it announces starts.
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

export function openJournal(path: string): Journal {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
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
