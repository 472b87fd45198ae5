import { runScenario, type Simulation, scenarioSchema, simulationLog } from '../../src/klp/index.js';

/** A scenario written in code, as a user would write it in YAML. */
export type ScenarioInput = Parameters<typeof scenarioSchema.parse>[0];

/** Runs a scenario given as plain data; returns the predicted log and the simulation. */
export function simulate(input: ScenarioInput): { log: string[]; sim: Simulation } {
  const sim = runScenario(scenarioSchema.parse(input));
  return { log: simulationLog(sim), sim };
}

/** The log lines of a normal patching transition of `patch` whose only loaded object with callbacks is vmlinux. */
export function enableLog(patch: string, callbacks = true): string[] {
  return [
    `livepatch: enabling patch '${patch}'`,
    `livepatch: '${patch}': initializing patching transition`,
    ...(callbacks ? [`${patch}: pre_patch_callback: vmlinux`] : []),
    `livepatch: '${patch}': starting patching transition`,
    `livepatch: '${patch}': completing patching transition`,
    ...(callbacks ? [`${patch}: post_patch_callback: vmlinux`] : []),
    `livepatch: '${patch}': patching complete`,
  ];
}

export function disableLog(patch: string, callbacks = true): string[] {
  return [
    `livepatch: '${patch}': initializing unpatching transition`,
    ...(callbacks ? [`${patch}: pre_unpatch_callback: vmlinux`] : []),
    `livepatch: '${patch}': starting unpatching transition`,
    `livepatch: '${patch}': completing unpatching transition`,
    ...(callbacks ? [`${patch}: post_unpatch_callback: vmlinux`] : []),
    `livepatch: '${patch}': unpatching complete`,
  ];
}
