import {
  blockTask,
  loadModule,
  loadPatch,
  type Outcome,
  unblockTask,
  unloadModule,
  writeEnabled,
  writeForce,
  writePrePatchRet,
  writeSignal,
} from './core.js';
import type { Errno } from './errno.js';
import type { KlpEvent } from './events.js';
import type { Kernel } from './kernel.js';
import type { PatchManifest } from './manifest.js';
import { patchesByName, renderStep, type Scenario, type Step } from './scenario.js';
import { funcWinners, type SysfsPatchView, sysfsView } from './sysfs.js';
import { cloneSystem, createSystem, defaultAttributes } from './system.js';
import { blockingTasks, tryCompleteTransition } from './transition.js';
import type { KlpSystem, SysfsAttributes, TaskPatchState } from './types.js';

/** What a step may refer to: the scenario's patches and the modules that declare functions. */
export interface StepContext {
  readonly patches: ReadonlyMap<string, PatchManifest>;
  /** module -> the functions it declares, to find which object a sleeping task's function is in */
  readonly moduleFuncs: ReadonlyMap<string, ReadonlyArray<string>>;
}

export interface StepResult {
  readonly system: KlpSystem;
  /** undefined when the kernel accepted the step */
  readonly error: Errno | undefined;
  readonly events: ReadonlyArray<KlpEvent>;
}

/**
 * Applies one step to a system and returns the new system, the kernel's answer and its log. The
 * given system is not changed. After the step, a transition that nothing blocks completes.
 */
export function applyStep(system: KlpSystem, step: Step, ctx: StepContext): StepResult {
  const k: Kernel = { sys: cloneSystem(system), events: [] };
  const error = dispatch(k, step, ctx);
  tryCompleteTransition(k);
  return { system: k.sys, error, events: k.events };
}

function dispatch(k: Kernel, step: Step, ctx: StepContext): Outcome {
  if ('load' in step) {
    const manifest = ctx.patches.get(step.load);
    return manifest ? loadPatch(k, manifest, step.params?.pre_patch_ret ?? 0) : loadModule(k, step.load);
  }
  if ('unload' in step) return unloadModule(k, step.unload);
  if ('enable' in step) return writeEnabled(k, step.enable, true);
  if ('disable' in step) return writeEnabled(k, step.disable, false);
  if ('signal' in step) return writeSignal(k, step.signal);
  if ('force' in step) return writeForce(k, step.force);
  if ('set' in step) return writePrePatchRet(k, step.set.patch, step.set.pre_patch_ret);
  if ('block' in step) {
    const { task, func, sympos, interruptible } = step.block;
    const object = step.block.object ?? [...ctx.moduleFuncs].find(([, funcs]) => funcs.includes(func))?.[0];
    return blockTask(k, task, object === 'vmlinux' ? undefined : object, func, sympos, interruptible);
  }
  return unblockTask(k, step.unblock);
}

export interface SimulatedStep {
  readonly index: number;
  readonly step: string;
  readonly error: Errno | undefined;
  readonly events: ReadonlyArray<KlpEvent>;
}

export interface SimulatedTask {
  readonly name: string;
  /** as /proc/<pid>/task/<tid>/patch_state prints it: -1 undefined, 0 unpatched, 1 patched */
  readonly patchState: -1 | 0 | 1;
  readonly sleepingIn: string | undefined;
  readonly blocking: boolean;
}

export interface Simulation {
  readonly kind: KlpSystem['kind'];
  readonly steps: ReadonlyArray<SimulatedStep>;
  readonly sysfs: ReadonlyArray<SysfsPatchView>;
  readonly modules: ReadonlyArray<{ name: string; livepatch: boolean; removable: boolean }>;
  readonly funcs: Record<string, string | null>;
  readonly tasks: ReadonlyArray<SimulatedTask>;
  readonly system: KlpSystem;
}

const PATCH_STATE: Record<TaskPatchState, -1 | 0 | 1> = { undefined: -1, unpatched: 0, patched: 1 };

function scenarioAttributes(scenario: Scenario): SysfsAttributes {
  const base = defaultAttributes(scenario.kernel.livepatch);
  const listed = scenario.kernel.attributes;
  if (listed === undefined || scenario.kernel.livepatch !== 'replace-bool') return base;
  return { ...base, replace: listed.includes('replace'), stackOrder: listed.includes('stack_order') };
}

export function stepContext(scenario: Scenario): StepContext {
  return {
    patches: patchesByName(scenario),
    moduleFuncs: new Map(scenario.modules.map((mod) => [mod.name, mod.funcs])),
  };
}

/** Runs every step of a scenario on a freshly booted kernel of its kind. */
export function runScenario(scenario: Scenario): Simulation {
  const ctx = stepContext(scenario);
  let system = createSystem(scenario.kernel.livepatch, scenarioAttributes(scenario));
  const steps: SimulatedStep[] = [];
  scenario.steps.forEach((step, index) => {
    const result = applyStep(system, step, ctx);
    system = result.system;
    steps.push({ index, step: renderStep(step), error: result.error, events: result.events });
  });
  return { kind: system.kind, steps, ...describeSystem(system), system };
}

/** The observable state: sysfs, lsmod, which code runs per function, tasks. */
export function describeSystem(system: KlpSystem): Omit<Simulation, 'kind' | 'steps' | 'system'> {
  const blocking = new Set(blockingTasks({ sys: system, events: [] }).map((task) => task.name));
  return {
    sysfs: sysfsView(system),
    modules: [...system.modules.values()].map((mod) => ({
      name: mod.name,
      livepatch: mod.livepatch,
      removable: !mod.livepatch || (!mod.pinned && !system.patches.some((p) => p.name === mod.name)),
    })),
    funcs: funcWinners(system),
    tasks: [...system.tasks.values()].map((task) => ({
      name: task.name,
      patchState: PATCH_STATE[task.patchState],
      sleepingIn: task.frame?.funcKey,
      blocking: blocking.has(task.name),
    })),
  };
}
