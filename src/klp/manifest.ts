import * as z from 'zod';
import { MODULE_NAME_MAX, moduleNameProblem, ruleCheck } from '../input/index.js';

/**
 * The patch manifest: a livepatch as klpm knows it. One schema for the simulator, the repository index
 * and release checks. Field names follow include/linux/livepatch.h (struct klp_patch, klp_object,
 * klp_func, klp_state).
 */

export const CALLBACK_NAMES = ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch'] as const;
export type CallbackName = (typeof CALLBACK_NAMES)[number];

const MODULE_CHARS = /^[A-Za-z0-9_-]+$/;
const MODULE_CHARS_MESSAGE = 'expected a module name: letters, digits, _ or -';
const MODULE_NAME_MAX_MESSAGE = `expected a module name of at most ${MODULE_NAME_MAX} bytes (the kernel's MODULE_NAME_LEN)`;

/**
 * A patched object: a module name as the kernel keeps it (at most MODULE_NAME_MAX bytes,
 * include/linux/module.h MODULE_NAME_LEN less the NUL), or `vmlinux`, the kernel itself.
 */
const objectName = z
  .string()
  .regex(MODULE_CHARS, MODULE_CHARS_MESSAGE)
  .max(
    MODULE_NAME_MAX,
    `expected a module name of at most ${MODULE_NAME_MAX} bytes (the kernel's MODULE_NAME_LEN)`,
  );

/** A patch's name: its module's name, and /sys/kernel/livepatch/<name>; never `vmlinux`. */
export const patchNameSchema = z
  .string()
  .regex(MODULE_CHARS, MODULE_CHARS_MESSAGE)
  .max(MODULE_NAME_MAX, MODULE_NAME_MAX_MESSAGE)
  .superRefine(ruleCheck(moduleNameProblem));

const funcName = z
  .string()
  .regex(/^[A-Za-z_.$][A-Za-z0-9_.$]*$/, 'expected a C symbol name (KSYM_NAME_LEN rules)')
  .max(511);

/** `old_sympos`: 0 means "the only one", which the kernel treats like 1 (kernel/livepatch/core.c). */
const sympos = z.number().int().min(0).max(0xffff_ffff);

export const funcSchema = z.union([
  funcName.transform((name) => ({ name, sympos: 0 })),
  z.strictObject({ name: funcName, sympos: sympos.default(0) }),
]);

export const objectSchema = z
  .strictObject({
    name: objectName,
    funcs: z.array(funcSchema).default([]),
    callbacks: z
      .union([z.literal('all'), z.array(z.enum(CALLBACK_NAMES))])
      .default([])
      .transform((cbs): CallbackName[] => (cbs === 'all' ? [...CALLBACK_NAMES] : [...new Set(cbs)])),
  })
  .superRefine((obj, ctx) => {
    const seen = new Set<string>();
    obj.funcs.forEach((func, i) => {
      const key = `${func.name},${func.sympos || 1}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['funcs', i],
          message: `func '${key}' is listed twice in object '${obj.name}'`,
        });
      }
      seen.add(key);
    });
  });

export const stateSchema = z.strictObject({
  id: z.number().int().min(0),
  version: z.number().int().min(0),
});

const replaceSet = z.number().int().min(0);

export const patchManifestSchema = z
  .strictObject({
    name: patchNameSchema,
    /** replace-set and provides kernels: the set this patch replaces within (default 0) */
    replaceSet: replaceSet.optional(),
    /** provides kernels: the same field as replaceSet under the series' name */
    provides: replaceSet.optional(),
    /** provides kernels: ids whose enabled patches this patch also replaces */
    obsoletes: z.array(z.number().int().min(0)).default([]),
    /** replace-bool kernels: true replaces every enabled patch, false stacks on top */
    replace: z.boolean().default(false),
    /** version of the patch itself (the repository's `to`); informational for the model */
    version: z.string().optional(),
    states: z.array(stateSchema).default([]),
    objects: z.array(objectSchema).default([]),
  })
  .superRefine((patch, ctx) => {
    if (
      patch.replaceSet !== undefined &&
      patch.provides !== undefined &&
      patch.replaceSet !== patch.provides
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['provides'],
        message: `patch '${patch.name}' sets replaceSet ${patch.replaceSet} and provides ${patch.provides}: they are one field, give one value`,
      });
    }
    if (new Set(patch.obsoletes).size !== patch.obsoletes.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['obsoletes'],
        message: `patch '${patch.name}' lists an obsoletes id twice`,
      });
    }
    const ids = new Set<number>();
    patch.states.forEach((state, i) => {
      if (ids.has(state.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['states', i, 'id'],
          message: `state id ${state.id} is declared twice`,
        });
      }
      ids.add(state.id);
    });
    const objects = new Set<string>();
    patch.objects.forEach((obj, i) => {
      if (objects.has(obj.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['objects', i, 'name'],
          message: `object '${obj.name}' is listed twice`,
        });
      }
      objects.add(obj.name);
    });
  })
  .transform(({ provides, replaceSet: set, ...rest }) => ({ ...rest, replaceSet: set ?? provides ?? 0 }));

export type PatchManifest = z.output<typeof patchManifestSchema>;
export type PatchManifestInput = z.input<typeof patchManifestSchema>;
export type ObjectManifest = PatchManifest['objects'][number];
export type FuncManifest = ObjectManifest['funcs'][number];

/** The JSON Schema of a patch manifest as a user writes it (docs/schema/patch-manifest.json). */
export function patchManifestJsonSchema(): unknown {
  return z.toJSONSchema(patchManifestSchema, { io: 'input', unrepresentable: 'any' });
}
