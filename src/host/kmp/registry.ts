import type { ModuleInfo } from '../../elf/index.js';
import { InputError } from '../../input/index.js';
import type { InstalledKernel, KmpBuild, ResolveFields, SymversEntry } from '../../kabi/index.js';
import { importsOf } from '../../kabi/index.js';

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
  readonly format: 'klpm-kernel-3';
  readonly release: string;
  readonly flavor: string;
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

export function registeredText(kernel: InstalledKernel): string {
  const vmSymbols: string[] = [];
  const vmCrcs: number[] = [];
  for (const e of kernel.symvers.entries.values())
    if (e.module === 'vmlinux') {
      vmSymbols.push(e.symbol);
      vmCrcs.push(e.crc);
    }
  const vm = new Set(vmSymbols);
  const inTreeExports = new Set(kernel.modules.flatMap((m) => m.exports.map((e) => e.name)));
  const exports = kernel.modules.map((m) => m.exports);
  const imports = kernel.modules.map((m) =>
    importsOf(m).filter((i) => inTreeExports.has(i.name) && !vm.has(i.name)),
  );
  const registered: Registered = {
    format: 'klpm-kernel-3',
    release: kernel.release,
    flavor: kernel.flavor,
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

/** One in-tree module as the columns hold it: its name and where its exports and imports start. */
interface Row {
  readonly index: number;
  readonly name: string;
  readonly exportAt: number;
  readonly exportCount: number;
  readonly importAt: number;
  readonly importCount: number;
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
  let data: Registered;
  try {
    data = JSON.parse(text) as Registered;
  } catch {
    throw new InputError('not a klpm kernel registration: run klpm kmp add-kernel again', source);
  }
  if (data?.format !== 'klpm-kernel-3')
    throw new InputError(
      'not a klpm kernel registration (format klpm-kernel-3): run klpm kmp add-kernel again',
      source,
    );
  const m = data.modules;
  const split = (joined: string, by: string) => (joined === '' ? [] : joined.split(by));
  const names = split(m.names, ' ');
  const exportNames = split(m.exports, ' ');
  const importNames = split(m.imports, ' ');
  const rows: Row[] = [];
  let exportAt = 0;
  let importAt = 0;
  names.forEach((name, index) => {
    const exportCount = m.exportCounts[index] ?? 0;
    const importCount = m.importCounts[index] ?? 0;
    rows.push({ index, name, exportAt, exportCount, importAt, importCount });
    exportAt += exportCount;
    importAt += importCount;
  });
  const exportsOf = (row: Row) => exportNames.slice(row.exportAt, row.exportAt + row.exportCount);
  const importsOfRow = (row: Row) => importNames.slice(row.importAt, row.importAt + row.importCount);
  const kept = relevant === undefined ? rows : keptRows(rows, relevant, exportsOf, importsOfRow);
  const wanted =
    relevant === undefined ? undefined : new Set([...relevant.symbols, ...kept.flatMap(exportsOf)]);
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
  const modules: Array<Pick<ModuleInfo, ResolveFields>> = kept.map((row) => {
    const imports = importsOfRow(row).map((name, i) => ({
      name,
      crc: m.importCrcs[row.importAt + i] ?? null,
    }));
    return {
      name: row.name,
      path: paths[row.index] ?? '',
      exports: exportsOf(row).map((name, i) => ({
        name,
        crc: m.exportCrcs[row.exportAt + i] ?? undefined,
        gpl: m.exportGpl[row.exportAt + i] === 'g',
      })),
      versions: imports.flatMap(({ name, crc }) => (crc === null ? [] : [{ name, crc }])),
      undefinedSymbols: imports.map(({ name }) => ({ name, weak: false })),
    };
  });
  return { release: data.release, flavor: data.flavor, initrd: data.initrd, symvers: { entries }, modules };
}

function keptRows(
  rows: ReadonlyArray<Row>,
  relevant: Relevant,
  exportsOf: (row: Row) => string[],
  importsOf: (row: Row) => string[],
): Row[] {
  const symbols = new Set(relevant.symbols);
  const replacedExports = new Set<string>();
  for (const row of rows)
    if (relevant.modules.has(row.name))
      for (const name of exportsOf(row)) {
        symbols.add(name);
        replacedExports.add(name);
      }
  return rows.filter(
    (row) =>
      relevant.modules.has(row.name) ||
      exportsOf(row).some((name) => symbols.has(name)) ||
      importsOf(row).some((name) => replacedExports.has(name)),
  );
}
