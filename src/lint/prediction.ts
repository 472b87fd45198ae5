import type { KernelKind } from '../klp/index.js';
import {
  assemblePlan,
  attributesOfRelease,
  type HostLivepatchState,
  isRefused,
  type LoadedPatch,
} from '../plan/index.js';
import { rpmvercmp } from '../version/index.js';
import type { LintInput, Prediction } from './types.js';

/** A build's version: modinfo `version` (MODULE_VERSION) first, else the manifest's. */
export function versionOf(input: LintInput): string | undefined {
  return input.modinfo?.version ?? input.manifest.version;
}

/**
 * What klpm would do to bring a host running `loaded` (the other sets' patches, then the build NEW
 * replaces) to NEW, from the same planner `klpm apply` uses, checked on the simulator. Every module
 * a patch targets is taken as loaded, so every callback shows in the log.
 */
export function predictChange(
  kind: KernelKind,
  kernelRelease: string | undefined,
  next: LintInput,
  loaded: ReadonlyArray<LintInput>,
): Prediction {
  const patches: LoadedPatch[] = loaded.map((input) => ({
    manifest: input.manifest,
    to: versionOf(input),
    enabled: true,
    transition: false,
  }));
  const targets = new Set(
    [next, ...loaded].flatMap((i) => i.manifest.objects.map((o) => o.name)).filter((n) => n !== 'vmlinux'),
  );
  const host: HostLivepatchState = {
    kind,
    attributes: kind === 'replace-bool' ? attributesOfRelease(kernelRelease) : [],
    patches,
    modules: [...targets].sort(),
  };
  const plan = assemblePlan(
    host,
    { type: 'apply', patch: { manifest: next.manifest, version: versionOf(next) ?? '' } },
    rpmvercmp,
  );
  const names = loaded.map((i) => i.manifest.name);
  if (isRefused(plan))
    return {
      kind: 'refused',
      steps: plan.steps,
      notes: [],
      log: plan.predictedLog,
      reason: plan.reason,
      loaded: names,
    };
  return { kind: plan.kind, steps: plan.steps, notes: plan.notes, log: plan.predictedLog, loaded: names };
}
