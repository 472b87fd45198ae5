import {
  applyStep,
  createSystem,
  defaultAttributes,
  formatEvent,
  type KlpSystem,
  type PatchManifest,
  type Step,
  type StepContext,
  sysfsView,
} from '../klp/index.js';
import type { HostLivepatchState, Plan, PlanStep } from './types.js';

/**
 * Runs a plan on the simulator, starting from a model of the host: the host's modules loaded, then
 * its patches loaded in stack order. Returns the predicted log, or the first step the kernel refuses.
 */
export function predictPlan(
  host: HostLivepatchState,
  steps: ReadonlyArray<PlanStep>,
  incoming: ReadonlyArray<PatchManifest>,
):
  | { ok: true; log: string[]; sysfs: Plan['predictedSysfs'] }
  | { ok: false; log: string[]; step: PlanStep; reason: string } {
  const manifests = new Map<string, PatchManifest>();
  for (const loaded of host.patches) manifests.set(loaded.manifest.name, loaded.manifest);
  for (const manifest of incoming) manifests.set(manifest.name, manifest);
  const ctx: StepContext = { patches: manifests, moduleFuncs: new Map() };

  let system = hostSystem(host, ctx);
  const log: string[] = [];
  for (const planStep of steps) {
    if (planStep.op === 'wait-removed') {
      if (system.patches.some((p) => p.name === planStep.patch)) {
        return {
          ok: false,
          log,
          step: planStep,
          reason: `patch '${planStep.patch}' would stay in transition`,
        };
      }
      continue;
    }
    const result = applyStep(system, toScenarioStep(planStep), ctx);
    log.push(...result.events.map(formatEvent));
    system = result.system;
    if (result.error) {
      const why = result.events.find((e) => e.type === 'not-compatible');
      const detail = why?.type === 'not-compatible' ? `: ${why.reason}` : '';
      return {
        ok: false,
        log,
        step: planStep,
        reason: `the kernel would refuse '${planStep.op} ${planStep.patch}' with ${result.error.errno}${detail}`,
      };
    }
  }
  return { ok: true, log, sysfs: sysfsView(system) };
}

function toScenarioStep(step: Exclude<PlanStep, { op: 'wait-removed' }>): Step {
  switch (step.op) {
    case 'load':
      return { load: step.patch };
    case 'disable':
      return { disable: step.patch };
    case 'unload':
      return { unload: step.patch };
  }
}

/** The model of what is loaded now: modules first, then the patches in the order they were loaded. */
function hostSystem(host: HostLivepatchState, ctx: StepContext): KlpSystem {
  const base = defaultAttributes(host.kind);
  const attributes =
    host.kind === 'replace-bool'
      ? {
          ...base,
          replace: host.attributes.includes('replace'),
          stackOrder: host.attributes.includes('stack_order'),
        }
      : base;
  let system = createSystem(host.kind, attributes);
  const load = (name: string) => {
    system = applyStep(system, { load: name }, ctx).system;
  };
  host.modules.forEach(load);
  for (const loaded of host.patches) load(loaded.manifest.name);
  return system;
}
