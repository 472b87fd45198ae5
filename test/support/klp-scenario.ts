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

/**
 * A random scenario made valid for its kernel kind, as the scenario schema requires: patch fields of
 * other kinds dropped, blocks only in functions a module or patch declares, unblocks only of tasks
 * blocked before. The property tests generate freely, then keep what a user could write.
 */
export function validForKind<
  T extends {
    kernel: { livepatch: 'replace-bool' | 'replace-set' | 'provides' };
    modules?: ReadonlyArray<{ funcs?: ReadonlyArray<string> }>;
    patches: ReadonlyArray<
      Record<string, unknown> & { objects?: ReadonlyArray<{ funcs?: ReadonlyArray<unknown> }> }
    >;
    steps: ReadonlyArray<Record<string, unknown>>;
  },
>(input: T): T {
  const drop: Record<string, string[]> = {
    'replace-bool': ['replaceSet', 'provides'],
    'replace-set': ['replace', 'provides'],
    provides: ['replace'],
  };
  const patches = input.patches.map((p) =>
    Object.fromEntries(Object.entries(p).filter(([key]) => !drop[input.kernel.livepatch]!.includes(key))),
  );
  const funcs = new Set([
    ...(input.modules ?? []).flatMap((m) => m.funcs ?? []),
    ...input.patches.flatMap((p) =>
      (p.objects ?? []).flatMap((o) =>
        (o.funcs ?? []).map((f) => (typeof f === 'string' ? f : (f as { name: string }).name)),
      ),
    ),
  ]);
  const blocked = new Set<string>();
  const steps = input.steps.filter((step) => {
    if ('block' in step) {
      const block = step.block as { task: string; func: string };
      if (!funcs.has(block.func)) return false;
      blocked.add(block.task);
    }
    if ('unblock' in step) return blocked.delete(step.unblock as string);
    return true;
  });
  return { ...input, patches, steps };
}
