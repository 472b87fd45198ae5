import { kmpBuildDir, linkName } from './kmp-layout.js';
import { compareNames } from './order.js';
import {
  type Candidate,
  candidatesFor,
  type KernelSymbols,
  kernelSymbols,
  type Rejection,
  tryCandidate,
} from './resolve-check.js';
import type {
  BootCriticalGap,
  ChosenBuild,
  InstalledKernel,
  KernelResolution,
  KmpBuild,
  KmpLink,
  RejectedBuild,
  RejectReason,
  Resolution,
  ServedBefore,
} from './resolve-types.js';

/**
 * Chooses, for every installed kernel, one build of every kernel module package, and says which
 * links weak-updates/ must hold. Unlike weak-modules (suse-module-tools weak-modules2, Red Hat's
 * weak-modules), which link a candidate and run depmod to see whether it fits, one kernel and one
 * candidate after the other, the answer is a fixpoint over all packages at once, so it does not
 * depend on the order packages or kernels are given in (docs/kmp.md, "Resolution rules").
 */
export function resolveKmps(
  kernels: ReadonlyArray<InstalledKernel>,
  builds: ReadonlyArray<KmpBuild>,
  servedBefore: ReadonlyArray<ServedBefore> = [],
): Resolution {
  return {
    kernels: [...kernels]
      .sort((a, b) => compareNames(a.release, b.release))
      .map((kernel) => resolveKernel(kernel, builds, servedBefore)),
  };
}

function resolveKernel(
  kernel: InstalledKernel,
  builds: ReadonlyArray<KmpBuild>,
  servedBefore: ReadonlyArray<ServedBefore>,
): KernelResolution {
  const symbols = kernelSymbols(kernel);
  const packages = [...new Set(builds.filter((b) => b.flavor === kernel.flavor).map((b) => b.package))].sort(
    compareNames,
  );
  const candidates = new Map(packages.map((pkg) => [pkg, candidatesFor(kernel, pkg, builds)]));
  // KR-FIXPOINT: every package starts at its best candidate; a package only ever moves to a worse one, so the
  // loop ends after at most (number of candidates) rounds
  const index = new Map(packages.map((pkg) => [pkg, 0]));
  const rejected = new Map<string, Map<number, ReadonlyArray<RejectReason>>>(
    packages.map((p) => [p, new Map()]),
  );
  for (;;) {
    const failures = roundFailures(packages, candidates, index, symbols);
    if (failures.length === 0) break;
    // a failure that no other package's choice can cure (a kernel symbol missing or of another CRC)
    // is final; failures that hinge on another package wait until those are settled, so a package
    // is not pushed down because of a neighbour that is about to move
    const independent = failures.filter((f) => !f.rejection.dependent);
    for (const failure of independent.length > 0 ? independent : failures) {
      const at = index.get(failure.pkg) ?? 0;
      rejected.get(failure.pkg)?.set(at, failure.rejection.reasons);
      index.set(failure.pkg, at + 1);
    }
  }
  return summarize(kernel, packages, candidates, index, rejected, servedBefore);
}

interface Failure {
  readonly pkg: string;
  readonly rejection: Rejection;
}

function roundFailures(
  packages: ReadonlyArray<string>,
  candidates: ReadonlyMap<string, ReadonlyArray<Candidate>>,
  index: ReadonlyMap<string, number>,
  symbols: KernelSymbols,
): Failure[] {
  const chosen = new Map<string, KmpBuild>();
  for (const pkg of packages) {
    const build = candidates.get(pkg)?.[index.get(pkg) ?? 0]?.build;
    if (build) chosen.set(pkg, build);
  }
  const failures: Failure[] = [];
  for (const pkg of packages) {
    const list = candidates.get(pkg) ?? [];
    const at = index.get(pkg) ?? 0;
    if (at >= list.length) continue;
    const rejection = tryCandidate(pkg, { packages, candidates, index, chosen, symbols });
    if (rejection) failures.push({ pkg, rejection });
  }
  return failures;
}

function summarize(
  kernel: InstalledKernel,
  packages: ReadonlyArray<string>,
  candidates: ReadonlyMap<string, ReadonlyArray<Candidate>>,
  index: ReadonlyMap<string, number>,
  rejectedAt: ReadonlyMap<string, ReadonlyMap<number, ReadonlyArray<RejectReason>>>,
  servedBefore: ReadonlyArray<ServedBefore>,
): KernelResolution {
  const chosen: ChosenBuild[] = [];
  const links: KmpLink[] = [];
  const rejected: RejectedBuild[] = [];
  const lost: string[] = [];
  const gaps: BootCriticalGap[] = [];
  const had = new Set(servedBefore.filter((s) => s.kernel === kernel.release).map((s) => s.package));
  for (const pkg of packages) {
    const list = candidates.get(pkg) ?? [];
    const at = index.get(pkg) ?? 0;
    for (const [i, reasons] of rejectedAt.get(pkg) ?? []) {
      const build = list[i]?.build;
      if (build) rejected.push({ package: pkg, version: build.version, builtFor: build.builtFor, reasons });
    }
    const build = list[at]?.build;
    if (build) {
      chosen.push({
        package: pkg,
        version: build.version,
        builtFor: build.builtFor,
        own: build.builtFor === kernel.release,
      });
      const dir = kmpBuildDir(build.package, build.version, build.builtFor);
      for (const module of build.modules)
        links.push({ kernel: kernel.release, name: linkName(module.path), target: `${dir}/${module.path}` });
      continue;
    }
    if (had.has(pkg)) lost.push(pkg);
    const because = bootCritical(kernel, list);
    if (because) gaps.push({ kernel: kernel.release, package: pkg, because, had: had.has(pkg) });
  }
  // packages that served the kernel and have no build of its flavor any more (removed)
  const initrd = new Set(kernel.initrd);
  for (const pkg of [...had].sort(compareNames)) {
    if (packages.includes(pkg)) continue;
    lost.push(pkg);
    const before = servedBefore.filter((s) => s.kernel === kernel.release && s.package === pkg);
    const because = before.some((s) => s.bootCritical)
      ? 'marked'
      : before.some((s) => s.modules?.some((m) => initrd.has(m)))
        ? 'initrd'
        : undefined;
    if (because) gaps.push({ kernel: kernel.release, package: pkg, because, had: true });
  }
  links.sort((a, b) => compareNames(a.name, b.name));
  return { kernel: kernel.release, flavor: kernel.flavor, chosen, links, rejected, lost, gaps };
}

/** KR-GAPS: why a package with no compatible build is boot-critical on a kernel, if it is. */
function bootCritical(
  kernel: InstalledKernel,
  list: ReadonlyArray<Candidate>,
): 'marked' | 'initrd' | undefined {
  if (list.some((c) => c.build.bootCritical)) return 'marked';
  const initrd = new Set(kernel.initrd);
  if (list.some((c) => c.build.modules.some((m) => initrd.has(m.name)))) return 'initrd';
  return undefined;
}
