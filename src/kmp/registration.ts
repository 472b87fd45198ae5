import type { ModuleInfo } from '../elf/index.js';
import { InputError } from '../input/index.js';
import type { InstalledKernel, KmpBuild, ResolveFields, SymversEntry } from '../kabi/index.js';
import { importsOf, vmlinuxExports } from '../kabi/index.js';

/**
 * The form klpm keeps a registered kernel in (`/var/lib/klpm/kmp/kernels/<K>.json`): klpm's own
 * state, written by `add-kernel` after reading the kernel, so it is read back with JSON.parse alone.
 * Only what resolution uses is kept: vmlinux CRCs, in-tree exports, and the imports in-tree modules
 * resolve against other in-tree modules (for the reverse check); the rest of a kernel's imports never
 * change an answer. Column by column (one string of names separated by spaces, one array of CRCs):
 * every `klpm kmp` command reads every kernel, and JSON.parse reads long strings and number arrays
 * several times faster than thousands of small arrays.
 */
interface Registered {
  /** `klpm-kernel-3` in the registrations of klpm before the format had a version number */
  readonly format: 'klpm-kernel' | 'klpm-kernel-3';
  /** 4: `vermagic` added; fields only ever grow, so a reader takes every version up to its own */
  readonly version?: number;
  readonly release: string;
  readonly flavor: string;
  /** absent in registrations written before klpm read it */
  readonly vermagic?: string;
  readonly initrd: ReadonlyArray<string>;
  readonly vmlinux: { readonly symbols: string; readonly crcs: ReadonlyArray<number> };
  readonly modules: {
    readonly names: string;
    /** newline-separated */
    readonly paths: string;
    /** how many of `exports` (then of `imports`) belong to each module, in order */
    readonly exportCounts: ReadonlyArray<number>;
    readonly exports: string;
    /** null: exported without a CRC */
    readonly exportCrcs: ReadonlyArray<number | null>;
    /** one character per export: `g` GPL-only, `-` not */
    readonly exportGpl: string;
    readonly importCounts: ReadonlyArray<number>;
    readonly imports: string;
    readonly importCrcs: ReadonlyArray<number | null>;
  };
}

/** The registration version this klpm writes, and the newest it reads. */
export const REGISTRATION_VERSION = 4;

export function registeredText(kernel: InstalledKernel): string {
  const vm = vmlinuxExports(kernel.symvers);
  const vmSymbols = [...vm.keys()];
  const vmCrcs = [...vm.values()];
  const inTreeExports = new Set(kernel.modules.flatMap((m) => m.exports.map((e) => e.name)));
  const exports = kernel.modules.map((m) => m.exports);
  const imports = kernel.modules.map((m) =>
    importsOf(m).filter((i) => inTreeExports.has(i.name) && !vm.has(i.name)),
  );
  const registered: Registered = {
    format: 'klpm-kernel',
    version: REGISTRATION_VERSION,
    release: kernel.release,
    flavor: kernel.flavor,
    ...(kernel.vermagic === undefined ? {} : { vermagic: kernel.vermagic }),
    initrd: kernel.initrd,
    vmlinux: { symbols: vmSymbols.join(' '), crcs: vmCrcs },
    modules: {
      names: kernel.modules.map((m) => m.name).join(' '),
      paths: kernel.modules.map((m) => m.path).join('\n'),
      exportCounts: exports.map((list) => list.length),
      exports: exports.flatMap((list) => list.map((e) => e.name)).join(' '),
      exportCrcs: exports.flatMap((list) => list.map((e) => e.crc ?? null)),
      exportGpl: exports.flatMap((list) => list.map((e) => (e.gpl ? 'g' : '-'))).join(''),
      importCounts: imports.map((list) => list.length),
      imports: imports.flatMap((list) => list.map((i) => i.name)).join(' '),
      importCrcs: imports.flatMap((list) => list.map((i) => i.crc ?? null)),
    },
  };
  return JSON.stringify(registered);
}

/** What the builds being resolved touch: their modules' names and the symbols they import or export. */
export interface Relevant {
  readonly modules: ReadonlySet<string>;
  readonly symbols: ReadonlySet<string>;
}

/** The module names and symbols of `builds`, for `readRegistered`. */
export function relevantTo(builds: ReadonlyArray<KmpBuild>): Relevant {
  const modules = new Set<string>();
  const symbols = new Set<string>();
  for (const b of builds)
    for (const m of b.modules) {
      modules.add(m.name);
      for (const e of m.exports) symbols.add(e.name);
      for (const i of importsOf(m)) symbols.add(i.name);
    }
  return { modules, symbols };
}

/**
 * Reads a registration back. With `relevant`, only the part of the kernel that can change an answer
 * about those builds is kept: a kernel has some 20,000 exports, a KMP touches a few dozen. Kept are
 * the in-tree modules a build replaces (same name), every in-tree module exporting a symbol a build
 * touches or a replaced module exports (so the first exporter by name stays the same), the in-tree
 * modules importing from a replaced module (the reverse check), and the vmlinux symbols among all
 * those. test/host/kmp/registry.test.ts checks the answer equals the one from the whole kernel.
 */
export function readRegistered(text: string, source: string, relevant?: Relevant): InstalledKernel {
  const columns = decodeRegistration(text, source);
  const kept = relevant === undefined ? columns.names.map((_, i) => i) : keptModules(columns, relevant);
  return kernelOf(columns, kept, relevant);
}

/** A registration's columns, split, with where each module's exports and imports start. */
interface Columns {
  readonly data: Registered;
  readonly names: ReadonlyArray<string>;
  readonly exportNames: ReadonlyArray<string>;
  readonly importNames: ReadonlyArray<string>;
  readonly exportAt: ReadonlyArray<number>;
  readonly importAt: ReadonlyArray<number>;
}

const split = (joined: string, by: string) => (joined === '' ? [] : joined.split(by));

/** Parses a registration and checks its format and version; nothing is pruned yet. */
function decodeRegistration(text: string, source: string): Columns {
  let data: Registered;
  try {
    data = JSON.parse(text) as Registered;
  } catch {
    throw new InputError('not a klpm kernel registration: run klpm kmp add-kernel again', source);
  }
  const version =
    data?.format === 'klpm-kernel-3' ? 3 : data?.format === 'klpm-kernel' ? data.version : undefined;
  if (typeof version !== 'number' || !Number.isInteger(version))
    throw new InputError(
      'not a klpm kernel registration (format klpm-kernel): run klpm kmp add-kernel again',
      source,
    );
  if (version > REGISTRATION_VERSION)
    throw new InputError(
      `kernel registration version ${version} was written by a newer klpm (this one reads up to ${REGISTRATION_VERSION}): upgrade klpm, or run klpm kmp add-kernel again`,
      source,
    );
  const m = data.modules;
  const names = split(m.names, ' ');
  const exportAt: number[] = [];
  const importAt: number[] = [];
  for (let i = 0, e = 0, n = 0; i < names.length; i++) {
    exportAt.push(e);
    importAt.push(n);
    e += m.exportCounts[i] ?? 0;
    n += m.importCounts[i] ?? 0;
  }
  return {
    data,
    names,
    exportNames: split(m.exports, ' '),
    importNames: split(m.imports, ' '),
    exportAt,
    importAt,
  };
}

const exportsOf = (c: Columns, i: number) =>
  c.exportNames.slice(c.exportAt[i], c.exportAt[i]! + (c.data.modules.exportCounts[i] ?? 0));
const importsAt = (c: Columns, i: number) =>
  c.importNames.slice(c.importAt[i], c.importAt[i]! + (c.data.modules.importCounts[i] ?? 0));

/** The kernel as the resolver takes it, from the kept modules and the vmlinux symbols they need. */
function kernelOf(c: Columns, kept: ReadonlyArray<number>, relevant: Relevant | undefined): InstalledKernel {
  const { data } = c;
  const m = data.modules;
  const wanted =
    relevant === undefined
      ? undefined
      : new Set([...relevant.symbols, ...kept.flatMap((i) => exportsOf(c, i))]);
  const entries = new Map<string, SymversEntry>();
  split(data.vmlinux.symbols, ' ').forEach((symbol, i) => {
    if (wanted === undefined || wanted.has(symbol))
      entries.set(symbol, {
        symbol,
        crc: data.vmlinux.crcs[i] ?? 0,
        module: 'vmlinux',
        exportType: 'EXPORT_SYMBOL',
        namespace: undefined,
      });
  });
  const paths = split(m.paths, '\n');
  // the kept imports come back as strong undefined symbols, versioned when they had a CRC
  const modules: Array<Pick<ModuleInfo, ResolveFields>> = kept.map((i) => {
    const imports = importsAt(c, i).map((name, k) => ({
      name,
      crc: m.importCrcs[c.importAt[i]! + k] ?? null,
    }));
    return {
      name: c.names[i]!,
      path: paths[i] ?? '',
      vermagic: undefined,
      exports: exportsOf(c, i).map((name, k) => ({
        name,
        crc: m.exportCrcs[c.exportAt[i]! + k] ?? undefined,
        gpl: m.exportGpl[c.exportAt[i]! + k] === 'g',
      })),
      versions: imports.flatMap(({ name, crc }) => (crc === null ? [] : [{ name, crc }])),
      undefinedSymbols: imports.map(({ name }) => ({ name, weak: false })),
    };
  });
  return {
    release: data.release,
    flavor: data.flavor,
    vermagic: data.vermagic,
    initrd: data.initrd,
    symvers: { entries },
    modules,
  };
}

/** Indexes of the modules `readRegistered` keeps for `relevant` (see readRegistered). */
function keptModules(c: Columns, relevant: Relevant): number[] {
  const symbols = new Set(relevant.symbols);
  const replacedExports = new Set<string>();
  c.names.forEach((name, i) => {
    if (!relevant.modules.has(name)) return;
    for (const symbol of exportsOf(c, i)) {
      symbols.add(symbol);
      replacedExports.add(symbol);
    }
  });
  const kept: number[] = [];
  c.names.forEach((name, i) => {
    if (
      relevant.modules.has(name) ||
      exportsOf(c, i).some((symbol) => symbols.has(symbol)) ||
      importsAt(c, i).some((symbol) => replacedExports.has(symbol))
    )
      kept.push(i);
  });
  return kept;
}
