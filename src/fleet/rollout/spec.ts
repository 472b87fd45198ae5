import * as z from 'zod';
import { parseDuration } from '../duration.js';
import { labelSchema } from '../query.js';

const durationText = z
  .string()
  .refine(
    (text) => parseDuration(text) !== undefined,
    'a duration is a number and s, m, h or d, such as 10m',
  );

/** A wave's failure budget: a count of hosts, or a percentage of the wave's hosts (`"10%"`). */
const budgetSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,3}(\.\d+)?%$/, 'a failure budget is a count or a percentage such as "10%"')
    .refine((t) => Number.parseFloat(t) <= 100, 'a percentage is at most 100%'),
]);

/** How a wave picks its hosts: one label, or a stable hash percentage of the host id (RO-MEMBER). */
const selectSchema = z.union([
  z.strictObject({ label: labelSchema }),
  z.strictObject({ percent: z.number().positive().max(100) }),
]);

export const waveSpecSchema = z.strictObject({
  name: z.string().min(1).max(64),
  select: selectSchema,
  failureBudget: budgetSchema,
  soak: durationText,
  deadline: durationText,
});
export type WaveSpec = z.infer<typeof waveSpecSchema>;

/**
 * `POST /v1/rollouts` and `klpm fleet rollout start --file`: what to roll out, and the waves. The
 * version is `to`, or an update id whose livepatch of that component and replace set it rolls out.
 */
export const rolloutSpecSchema = z
  .strictObject({
    component: z.string().min(1).max(64),
    replaceSet: z.number().int().nonnegative(),
    to: z.string().min(1).max(128).optional(),
    update: z.string().min(1).max(256).optional(),
    waves: z.array(waveSpecSchema).min(1).max(64),
  })
  .refine((s) => (s.to === undefined) !== (s.update === undefined), {
    message: 'a rollout names exactly one of `to` and `update`',
    path: ['to'],
  })
  .refine((s) => new Set(s.waves.map((w) => w.name)).size === s.waves.length, {
    message: 'wave names are unique',
    path: ['waves'],
  });
export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;

/** `PUT /v1/pins`: a host or a label stays on a version of one component and replace set (RO-PIN). */
export const pinSchema = z
  .strictObject({
    host: z.string().min(1).max(64).optional(),
    label: labelSchema.optional(),
    component: z.string().min(1).max(64),
    replaceSet: z.number().int().nonnegative(),
    to: z.string().min(1).max(128),
  })
  .refine((p) => (p.host === undefined) !== (p.label === undefined), {
    message: 'a pin names exactly one of `host` and `label`',
    path: ['host'],
  });
export type PinSpec = z.infer<typeof pinSchema>;

/** `DELETE /v1/pins`: the pin to remove, by what it pins. */
export const pinKeySchema = z
  .strictObject({
    host: z.string().min(1).max(64).optional(),
    label: labelSchema.optional(),
    component: z.string().min(1).max(64),
    replaceSet: z.coerce.number().int().nonnegative(),
  })
  .refine((p) => (p.host === undefined) !== (p.label === undefined), {
    message: 'a pin names exactly one of `host` and `label`',
    path: ['host'],
  });
export type PinKey = z.infer<typeof pinKeySchema>;

/** A stored pin. */
export interface Pin {
  readonly target: { readonly host: string } | { readonly label: string };
  readonly component: string;
  readonly replaceSet: number;
  readonly to: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** The hosts a budget allows to fail out of `hosts` (RO-BUDGET): a count, or the floor of the percentage. */
export function budgetOf(budget: WaveSpec['failureBudget'], hosts: number): number {
  if (typeof budget === 'number') return budget;
  return Math.floor((Number.parseFloat(budget) / 100) * hosts);
}
