import { createHash } from 'node:crypto';
import type { FleetPlan } from '../fleet/index.js';

/** A plan as stored once in shared_plans (migration 6): its JSON text and the sha256 of it, its key. */
export interface PlanText {
  readonly key: string;
  readonly text: string;
}

/**
 * Hosts alike share one plan value (the server remembers assessments per fingerprint), so its text
 * and key are made once per value, not once per report.
 */
const made = new WeakMap<FleetPlan, PlanText>();

export function planTextOf(plan: FleetPlan): PlanText {
  let known = made.get(plan);
  if (known === undefined) {
    const text = JSON.stringify(plan);
    known = { key: createHash('sha256').update(text).digest('hex'), text };
    made.set(plan, known);
  }
  return known;
}

/** The column list that reads a host's plan, its own (before migration 6) or its shared one. */
export const PLAN_COLUMN =
  'COALESCE(hosts.plan, (SELECT plan FROM shared_plans WHERE key = hosts.plan_key)) AS plan';
