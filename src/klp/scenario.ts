import * as z from 'zod';
import { parseSourceDocument, parseWithSchema } from '../document/index.js';
import { type PatchManifest, patchManifestSchema, patchNameSchema } from './manifest.js';
import type { KernelKind } from './types.js';

/**
 * A scenario: a kernel kind, the modules and patches it may load, and the steps an operator takes.
 * docs/scenario.md is the user's description of this format.
 */

const KERNEL_KINDS = ['replace-set', 'replace-bool', 'provides'] as const satisfies ReadonlyArray<KernelKind>;
const ATTRIBUTES = ['replace', 'stack_order', 'replace_set', 'provides'] as const;

const name = z.string().min(1, 'expected a name');
/** A callback's return value: 0 or a negative errno. */
const callbackRet = z.number().int().min(-4095).max(0);

const stepSchemas = {
  load: z.strictObject({ load: name, params: z.strictObject({ pre_patch_ret: callbackRet }).optional() }),
  unload: z.strictObject({ unload: name }),
  enable: z.strictObject({ enable: name }),
  disable: z.strictObject({ disable: name }),
  signal: z.strictObject({ signal: name }),
  force: z.strictObject({ force: name }),
  set: z.strictObject({ set: z.strictObject({ patch: name, pre_patch_ret: callbackRet }) }),
  block: z.strictObject({
    block: z.strictObject({
      task: name,
      func: name,
      /** vmlinux or a module; default: the module declaring the func, else vmlinux */
      object: name.optional(),
      sympos: z.number().int().min(0).default(0),
      interruptible: z.boolean().default(false),
    }),
  }),
  unblock: z.strictObject({ unblock: name }),
} as const;

type StepSchemas = typeof stepSchemas;
export type Step = { [K in keyof StepSchemas]: z.output<StepSchemas[K]> }[keyof StepSchemas];
const STEP_KINDS = Object.keys(stepSchemas) as Array<keyof StepSchemas>;

export const stepSchema = z.record(z.string(), z.unknown()).transform((raw, ctx): Step => {
  const kinds = STEP_KINDS.filter((kind) => kind in raw);
  if (kinds.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `expected exactly one of ${STEP_KINDS.join(', ')} in a step` });
    return z.NEVER;
  }
  const result = stepSchemas[kinds[0]!].safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path });
    return z.NEVER;
  }
  return result.data as Step;
});

const moduleSchema = z.strictObject({
  /** a module the scenario may load: a loadable module's name, as a patch's */
  name: patchNameSchema,
  funcs: z.array(name).default([]),
});

/**
 * The patch fields each kernel kind has (docs/scenario.md): a replace-bool kernel knows only the
 * boolean `replace`; a replace-set kernel only `replaceSet`; a provides kernel `provides` (or its
 * alias `replaceSet`) and `obsoletes` (which the scenario shape refuses elsewhere, by name). A field another kind has describes a module that cannot
 * exist on this kernel, so the scenario is refused rather than simulated with it ignored.
 */
const FIELDS_OF_OTHER_KINDS: Readonly<Record<KernelKind, ReadonlyArray<string>>> = {
  'replace-bool': ['replaceSet', 'provides'],
  'replace-set': ['replace', 'provides'],
  provides: ['replace'],
};

const kindFields = z
  .looseObject({
    kernel: z.looseObject({ livepatch: z.unknown() }).optional(),
    patches: z.array(z.unknown()).optional(),
  })
  .superRefine((raw, ctx) => {
    const kind = raw.kernel?.livepatch as KernelKind | undefined;
    const others = kind === undefined ? undefined : FIELDS_OF_OTHER_KINDS[kind];
    if (others === undefined) return;
    (raw.patches ?? []).forEach((patch, i) => {
      if (typeof patch !== 'object' || patch === null) return;
      for (const field of others)
        if (field in patch)
          ctx.addIssue({
            code: 'custom',
            path: ['patches', i, field],
            message: `a '${kind}' kernel has no ${field}: such a patch cannot exist there (docs/scenario.md)`,
          });
    });
  });

const scenarioShape = z
  .strictObject({
    kernel: z.strictObject({
      livepatch: z.enum(KERNEL_KINDS),
      /** replace-bool only: which optional attributes the kernel has (6.1: none, 6.12: replace) */
      attributes: z.array(z.enum(ATTRIBUTES)).optional(),
    }),
    modules: z.array(moduleSchema).default([]),
    patches: z.array(patchManifestSchema).default([]),
    steps: z.array(stepSchema).default([]),
  })
  .superRefine((scenario, ctx) => {
    const names = new Set<string>();
    const declare = (n: string, path: PropertyKey[]) => {
      if (names.has(n))
        ctx.addIssue({ code: 'custom', path, message: `module name '${n}' is declared twice` });
      names.add(n);
    };
    scenario.modules.forEach((mod, i) => {
      declare(mod.name, ['modules', i, 'name']);
    });
    scenario.patches.forEach((patch, i) => {
      declare(patch.name, ['patches', i, 'name']);
      if (patch.obsoletes.length > 0 && scenario.kernel.livepatch !== 'provides') {
        ctx.addIssue({
          code: 'custom',
          path: ['patches', i, 'obsoletes'],
          message: `patch '${patch.name}' sets obsoletes, which only a 'provides' kernel has; such a module cannot exist on a '${scenario.kernel.livepatch}' kernel`,
        });
      }
    });
    if (scenario.kernel.attributes !== undefined && scenario.kernel.livepatch !== 'replace-bool')
      ctx.addIssue({
        code: 'custom',
        path: ['kernel', 'attributes'],
        message: `attributes name the optional sysfs files of a replace-bool kernel; a '${scenario.kernel.livepatch}' kernel has its own`,
      });
    // a step may block only in a function some module or patch declares, and unblock only a task it blocked
    const funcs = new Set([
      ...scenario.modules.flatMap((m) => m.funcs),
      ...scenario.patches.flatMap((p) => p.objects.flatMap((o) => o.funcs.map((f) => f.name))),
    ]);
    const blocked = new Set<string>();
    const patchNames = new Set(scenario.patches.map((p) => p.name));
    scenario.steps.forEach((step, i) => {
      if ('block' in step) {
        if (!funcs.has(step.block.func))
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'block', 'func'],
            message: `unknown function '${step.block.func}': declare it in a module's or a patch's funcs`,
          });
        blocked.add(step.block.task);
      }
      if ('unblock' in step) {
        if (!blocked.has(step.unblock))
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'unblock'],
            message: `unknown task '${step.unblock}': no earlier step blocks it`,
          });
        blocked.delete(step.unblock);
      }
    });
    scenario.steps.forEach((step, i) => {
      const ref = stepReference(step);
      if (ref === undefined) return;
      const ok = ref.patchOnly ? patchNames.has(ref.name) : names.has(ref.name) || ref.name === 'vmlinux';
      if (!ok) {
        const what = ref.patchOnly ? 'patch' : 'module or patch';
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i],
          message: `unknown ${what} '${ref.name}': declare it under ${ref.patchOnly ? 'patches' : 'modules or patches'}`,
        });
      }
    });
  });

export const scenarioSchema = kindFields.pipe(scenarioShape);

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioModule = Scenario['modules'][number];

/** The module or patch a step names, for checking it is declared. */
function stepReference(step: Step): { name: string; patchOnly: boolean } | undefined {
  if ('load' in step) return { name: step.load, patchOnly: false };
  if ('unload' in step) return { name: step.unload, patchOnly: false };
  if ('set' in step) return { name: step.set.patch, patchOnly: true };
  if ('block' in step)
    return step.block.object === undefined ? undefined : { name: step.block.object, patchOnly: false };
  if ('unblock' in step) return undefined;
  const target =
    'enable' in step
      ? step.enable
      : 'disable' in step
        ? step.disable
        : 'signal' in step
          ? step.signal
          : step.force;
  return { name: target, patchOnly: true };
}

/** How a step is written in the log: `load p1`, `set p1 pre_patch_ret=-19`, `block worker busy_fn`. */
export function renderStep(step: Step): string {
  if ('load' in step) return `load ${step.load}`;
  if ('unload' in step) return `unload ${step.unload}`;
  if ('enable' in step) return `enable ${step.enable}`;
  if ('disable' in step) return `disable ${step.disable}`;
  if ('signal' in step) return `signal ${step.signal}`;
  if ('force' in step) return `force ${step.force}`;
  if ('set' in step) return `set ${step.set.patch} pre_patch_ret=${step.set.pre_patch_ret}`;
  if ('block' in step) return `block ${step.block.task} ${step.block.func}`;
  return `unblock ${step.unblock}`;
}

/** Patches by name, for the runner. */
export function patchesByName(scenario: Scenario): ReadonlyMap<string, PatchManifest> {
  return new Map(scenario.patches.map((patch) => [patch.name, patch]));
}

/** Parses a scenario file's text (YAML or JSON); bad input names the file, line and path. */
export function parseScenario(text: string, source: string): Scenario {
  return parseWithSchema(parseSourceDocument(text, source), scenarioSchema);
}
