import type { ModuleInfo } from '../elf/index.js';
import { rpmvercmp as compareVersions } from '../version/index.js';
import { loadRefusal } from './load-check.js';
import { compareNames } from './order.js';
import { importsOf } from './resolve-module.js';
import type { InstalledKernel, KmpBuild, RejectReason, ResolveFields } from './resolve-types.js';
import { vmlinuxExports } from './symvers.js';

/** A build in a package's preference list for one kernel. */
export interface Candidate {
  readonly build: KmpBuild;
}

/** KR-EXPORTS: a kernel's own exports, read once: vmlinux from symvers, the in-tree modules from their files. */
export interface KernelSymbols {
  readonly release: string;
  readonly vermagic: string | undefined;
  /** module names the kernel's initrd holds */
  readonly initrd: ReadonlySet<string>;
  /** as depmod_load_symvers in kmod's tools/depmod.c: only the vmlinux lines are the kernel's */
  readonly vmlinux: ReadonlyMap<string, number>;
  readonly inTree: ReadonlyMap<string, Pick<ModuleInfo, ResolveFields>>;
  /** symbol -> in-tree module exporting it, and its CRC */
  readonly inTreeExports: ReadonlyMap<string, { readonly module: string; readonly crc: number | undefined }>;
  /** in-tree module -> the imports other in-tree modules resolve against it (for the reverse check) */
  readonly consumers: ReadonlyMap<string, ReadonlyArray<Consumer>>;
}

interface Consumer {
  readonly module: string;
  readonly symbol: string;
  readonly crc: number | undefined;
}

export interface Rejection {
  readonly reasons: ReadonlyArray<RejectReason>;
  /** some reason hinges on what another package's choice exports or replaces */
  readonly dependent: boolean;
}

export function kernelSymbols(kernel: InstalledKernel): KernelSymbols {
  const vmlinux = vmlinuxExports(kernel.symvers);
  const inTree = new Map(kernel.modules.map((m) => [m.name, m]));
  const inTreeExports = new Map<string, { module: string; crc: number | undefined }>();
  for (const module of [...inTree.values()].sort((a, b) => compareNames(a.name, b.name)))
    for (const symbol of module.exports)
      if (!inTreeExports.has(symbol.name))
        inTreeExports.set(symbol.name, { module: module.name, crc: symbol.crc });
  const consumers = new Map<string, Consumer[]>();
  for (const module of inTree.values())
    for (const symbol of importsOf(module)) {
      const owner = inTreeExports.get(symbol.name);
      if (!owner || vmlinux.has(symbol.name) || owner.module === module.name) continue;
      const list = consumers.get(owner.module) ?? [];
      list.push({ module: module.name, symbol: symbol.name, crc: symbol.crc });
      consumers.set(owner.module, list);
    }
  return {
    release: kernel.release,
    vermagic: kernel.vermagic,
    initrd: new Set(kernel.initrd),
    vmlinux,
    inTree,
    inTreeExports,
    consumers,
  };
}

/**
 * A package's builds for a kernel, best first (KR-FLAVOR, KR-PREFER): builds of another flavor are never used; the newest
 * version (rpm order) comes first, so a rebuild for an update kernel also serves the older kernels it is compatible
 * with rather than being shadowed by their own older builds; among builds of one version the kernel's own, then the
 * newest kernel it was built for.
 */
export function candidatesFor(
  kernel: InstalledKernel,
  pkg: string,
  builds: ReadonlyArray<KmpBuild>,
): Candidate[] {
  return builds
    .filter((b) => b.package === pkg && b.flavor === kernel.flavor)
    .sort((a, b) => {
      const ownA = a.builtFor === kernel.release ? 0 : 1;
      const ownB = b.builtFor === kernel.release ? 0 : 1;
      return (
        compareVersions(b.version, a.version) ||
        ownA - ownB ||
        compareVersions(b.builtFor, a.builtFor) ||
        compareNames(a.version, b.version) ||
        compareNames(a.builtFor, b.builtFor)
      );
    })
    .map((build) => ({ build }));
}

/** One round of the fixpoint: every package's candidates and where each stands now. */
export interface Round {
  readonly packages: ReadonlyArray<string>;
  readonly candidates: ReadonlyMap<string, ReadonlyArray<Candidate>>;
  readonly index: ReadonlyMap<string, number>;
  /** each package's current choice */
  readonly chosen: ReadonlyMap<string, KmpBuild>;
  readonly symbols: KernelSymbols;
}

/** What the checks of one candidate share: the build, the other packages' choices, the kernel after the change. */
interface Trial {
  readonly pkg: string;
  readonly build: KmpBuild;
  readonly others: ReadonlyArray<[string, KmpBuild]>;
  readonly symbols: KernelSymbols;
  /** in-tree modules a chosen KMP module of the same name replaces */
  readonly overridden: ReadonlySet<string>;
  /** the exports of the chosen KMP modules, this build's own first */
  readonly kmpExports: ReadonlyMap<string, number | undefined>;
}

/** A check's findings, and whether any hinges on another package's choice. */
interface Findings {
  readonly reasons: RejectReason[];
  readonly dependent: boolean;
}

/**
 * Whether the current candidate of `pkg` fits the kernel next to the other packages' choices: the
 * rules of docs/kmp.md ("Resolution rules"), each a check of its own, in the loader's order.
 */
export function tryCandidate(pkg: string, round: Round): Rejection | undefined {
  const build = round.candidates.get(pkg)?.[round.index.get(pkg) ?? 0]?.build;
  if (!build) return undefined;
  const trial = trialOf(pkg, build, round);
  const findings = [
    checkLoader(trial),
    checkNames(trial),
    checkOwnExports(trial),
    checkExportClashes(trial),
    checkImports(trial, round),
    checkReplaced(trial),
  ];
  const reasons = findings.flatMap((f) => f.reasons);
  if (reasons.length === 0) return undefined;
  return { reasons: reasons.sort(byReason), dependent: findings.some((f) => f.dependent) };
}

function trialOf(pkg: string, build: KmpBuild, round: Round): Trial {
  const { symbols } = round;
  const others = [...round.chosen.entries()].filter(([other]) => other !== pkg);
  const overridden = new Set<string>();
  const kmpExports = new Map<string, number | undefined>();
  // by package then module name, so a symbol two modules export resolves the same in every input order
  for (const b of [build, ...others.map(([, o]) => o)].sort((x, y) => compareNames(x.package, y.package)))
    for (const m of [...b.modules].sort((x, y) => compareNames(x.name, y.name))) {
      if (symbols.inTree.has(m.name)) overridden.add(m.name);
      for (const e of m.exports) if (!kmpExports.has(e.name)) kmpExports.set(e.name, e.crc);
    }
  // this build's own exports win over its neighbours' (its own clashes are checkOwnExports')
  const own = firstExporters(build);
  for (const m of build.modules)
    for (const e of m.exports) if (own.get(e.name) === m.name) kmpExports.set(e.name, e.crc);
  return { pkg, build, others, symbols, overridden, kmpExports };
}

/** symbol -> the first of the build's modules (by name) exporting it */
function firstExporters(build: KmpBuild): Map<string, string> {
  const own = new Map<string, string>();
  for (const m of [...build.modules].sort((x, y) => compareNames(x.name, y.name)))
    for (const e of m.exports) if (!own.has(e.name)) own.set(e.name, m.name);
  return own;
}

/** K-VERMAGIC, K-NOVERSIONS, K-VERMAGIC-UNKNOWN: the loader refuses before any symbol; no neighbour can cure it. */
function checkLoader({ build, symbols }: Trial): Findings {
  const guard = {
    own: build.builtFor === symbols.release,
    bootCritical: build.bootCritical || build.modules.some((m) => symbols.initrd.has(m.name)),
  };
  const reasons: RejectReason[] = [];
  for (const m of build.modules) {
    const refusal = loadRefusal(m, symbols.vermagic, guard);
    if (refusal) reasons.push(refusal);
  }
  return { reasons, dependent: false };
}

/** KR-NAMES: a module name an earlier package (by name) has chosen stays that package's. */
function checkNames({ pkg, build, others }: Trial): Findings {
  const moduleOwner = new Map<string, string>();
  for (const [other, b] of others) for (const m of b.modules) moduleOwner.set(m.name, other);
  const reasons: RejectReason[] = [];
  for (const m of build.modules) {
    const owner = moduleOwner.get(m.name);
    if (owner !== undefined && owner < pkg) reasons.push({ kind: 'duplicate', module: m.name, owner });
  }
  return { reasons, dependent: reasons.length > 0 };
}

/** KR-CLASH within the build: two of its modules exporting one symbol cannot both load. */
function checkOwnExports({ build }: Trial): Findings {
  const own = firstExporters(build);
  const reasons: RejectReason[] = [];
  for (const m of build.modules)
    for (const e of m.exports) {
      const first = own.get(e.name);
      if (first !== undefined && first !== m.name)
        reasons.push({ kind: 'export-clash', module: m.name, symbol: e.name, owner: first });
    }
  return { reasons, dependent: false };
}

/** KR-CLASH against the kernel: vmlinux, a kept in-tree module, an earlier package (verify_exported_symbols). */
function checkExportClashes({ pkg, build, others, symbols, overridden }: Trial): Findings {
  const reasons: RejectReason[] = [];
  let dependent = false;
  for (const m of build.modules)
    for (const e of m.exports) {
      const owner = exportOwner(e.name, pkg, others, symbols, overridden);
      if (owner === undefined) continue;
      reasons.push({ kind: 'export-clash', module: m.name, symbol: e.name, owner: owner.name });
      if (!owner.vmlinux) dependent = true;
    }
  return { reasons, dependent };
}

/** KR-COMPAT: every import resolves to an export, with an equal CRC when both sides have one. */
function checkImports({ pkg, build, symbols, overridden, kmpExports }: Trial, round: Round): Findings {
  const lookup = (symbol: string): { found: boolean; crc: number | undefined } => {
    if (kmpExports.has(symbol)) return { found: true, crc: kmpExports.get(symbol) };
    const inTree = symbols.inTreeExports.get(symbol);
    if (inTree && !overridden.has(inTree.module)) return { found: true, crc: inTree.crc };
    if (symbols.vmlinux.has(symbol)) return { found: true, crc: symbols.vmlinux.get(symbol) };
    return { found: false, crc: undefined };
  };
  // a failure another package's move could cure waits (the fixpoint's rule)
  const couldChange = (symbol: string): boolean =>
    symbols.inTreeExports.has(symbol) || otherCandidatesExport(pkg, symbol, round);
  const reasons: RejectReason[] = [];
  let dependent = false;
  for (const m of build.modules)
    for (const wanted of importsOf(m)) {
      const found = lookup(wanted.name);
      const kind = !found.found ? 'unknown' : crcDiffers(wanted.crc, found.crc) ? 'crc' : undefined;
      if (!kind) continue;
      reasons.push({ kind, module: m.name, symbol: wanted.name, wanted: wanted.crc, found: found.crc });
      if (couldChange(wanted.name)) dependent = true;
    }
  return { reasons, dependent };
}

/**
 * KR-REVERSE: a replaced in-tree module's users must still find their symbols (Red Hat's
 * weak-modules misses this: validate_weak_links only reads depmod's lines about weak-updates/).
 */
function checkReplaced({ build, symbols, overridden }: Trial): Findings {
  const reasons: RejectReason[] = [];
  for (const module of build.modules) {
    if (!symbols.inTree.has(module.name)) continue;
    const exported = new Map(module.exports.map((e) => [e.name, e.crc]));
    for (const consumer of symbols.consumers.get(module.name) ?? []) {
      if (overridden.has(consumer.module)) continue;
      const has = exported.has(consumer.symbol);
      const crc = exported.get(consumer.symbol);
      if (has && !crcDiffers(consumer.crc, crc)) continue;
      reasons.push({
        kind: has ? 'override-crc' : 'override-unknown',
        module: module.name,
        symbol: consumer.symbol,
        neededBy: consumer.module,
        wanted: consumer.crc,
        found: crc,
      });
    }
  }
  return { reasons, dependent: false };
}

/** Who else exports `symbol` in the kernel next to this candidate: vmlinux, a kept in-tree module, an earlier package. */
function exportOwner(
  symbol: string,
  pkg: string,
  others: ReadonlyArray<[string, KmpBuild]>,
  symbols: KernelSymbols,
  overridden: ReadonlySet<string>,
): { name: string; vmlinux: boolean } | undefined {
  if (symbols.vmlinux.has(symbol)) return { name: 'vmlinux', vmlinux: true };
  const inTree = symbols.inTreeExports.get(symbol);
  if (inTree && !overridden.has(inTree.module)) return { name: inTree.module, vmlinux: false };
  for (const [other, b] of others) {
    if (other > pkg) continue;
    const m = b.modules
      .filter((x) => x.exports.some((e) => e.name === symbol))
      .map((x) => x.name)
      .sort(compareNames)[0];
    if (m !== undefined) return { name: `${m} (${other})`, vmlinux: false };
  }
  return undefined;
}

function byReason(a: RejectReason, b: RejectReason): number {
  return compareNames(reasonKey(a), reasonKey(b));
}

function reasonKey(r: RejectReason): string {
  return [r.module, 'symbol' in r ? r.symbol : '', r.kind, 'neededBy' in r ? r.neededBy : ''].join('\0');
}

function otherCandidatesExport(pkg: string, symbol: string, round: Round): boolean {
  for (const other of round.packages) {
    if (other === pkg) continue;
    const list = round.candidates.get(other) ?? [];
    for (let i = round.index.get(other) ?? 0; i < list.length; i++)
      if (list[i]?.build.modules.some((m) => m.exports.some((e) => e.name === symbol))) return true;
  }
  return false;
}

/** As depmod: a CRC is only compared when both sides were built with modversions. */
function crcDiffers(wanted: number | undefined, found: number | undefined): boolean {
  return wanted !== undefined && found !== undefined && wanted !== found;
}
