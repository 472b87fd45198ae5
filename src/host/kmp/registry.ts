import type { ModuleInfo } from '../../elf/index.js';
import { InputError } from '../../input/index.js';
import type { InstalledKernel, KmpSymbol, ResolveFields, SymversEntry } from '../../kabi/index.js';
import { importsOf } from '../../kabi/index.js';

/**
 * The form klpm keeps a registered kernel in (`/var/lib/klpm/kmp/kernels/<K>.json`): klpm's own
 * state, written after `add-kernel` validated the description, so it is read back with JSON.parse
 * alone. Only what resolution uses is kept: vmlinux CRCs, in-tree exports, and the imports in-tree
 * modules resolve against other in-tree modules (for the reverse check); the rest of a kernel's
 * imports never change an answer, and dropping them makes every run read a tenth of the bytes.
 */
interface Registered {
  readonly format: 'klpm-kernel-2';
  readonly release: string;
  readonly flavor: string;
  readonly initrd: ReadonlyArray<string>;
  readonly vmlinux: ReadonlyArray<readonly [string, number]>;
  readonly modules: ReadonlyArray<{
    readonly name: string;
    readonly path: string;
    /** name, CRC (null: none), GPL-only */
    readonly exports: ReadonlyArray<readonly [string, number | null, boolean]>;
    readonly imports: ReadonlyArray<readonly [string, number | null]>;
  }>;
}

export function registeredText(kernel: InstalledKernel): string {
  const vmlinux: Array<readonly [string, number]> = [];
  for (const e of kernel.symvers.entries.values())
    if (e.module === 'vmlinux') vmlinux.push([e.symbol, e.crc]);
  const vm = new Set(vmlinux.map(([s]) => s));
  const inTreeExports = new Set(kernel.modules.flatMap((m) => m.exports.map((e) => e.name)));
  const pair = (s: KmpSymbol) => [s.name, s.crc ?? null] as const;
  const registered: Registered = {
    format: 'klpm-kernel-2',
    release: kernel.release,
    flavor: kernel.flavor,
    initrd: kernel.initrd,
    vmlinux,
    modules: kernel.modules.map((m) => ({
      name: m.name,
      path: m.path,
      exports: m.exports.map((e) => [e.name, e.crc ?? null, e.gpl] as const),
      imports: importsOf(m)
        .filter((i) => inTreeExports.has(i.name) && !vm.has(i.name))
        .map(pair),
    })),
  };
  return JSON.stringify(registered);
}

export function readRegistered(text: string, source: string): InstalledKernel {
  let data: Registered;
  try {
    data = JSON.parse(text) as Registered;
  } catch {
    throw new InputError('not a klpm kernel registration: run klpm kmp add-kernel again', source);
  }
  if (data?.format !== 'klpm-kernel-2')
    throw new InputError(
      'not a klpm kernel registration (format klpm-kernel-2): run klpm kmp add-kernel again',
      source,
    );
  const entries = new Map<string, SymversEntry>();
  for (const [symbol, crc] of data.vmlinux)
    entries.set(symbol, {
      symbol,
      crc,
      module: 'vmlinux',
      exportType: 'EXPORT_SYMBOL',
      namespace: undefined,
    });
  // the kept imports come back as strong undefined symbols, versioned when they had a CRC
  const modules: Array<Pick<ModuleInfo, ResolveFields>> = data.modules.map((m) => ({
    name: m.name,
    path: m.path,
    exports: m.exports.map(([name, crc, gpl]) => ({ name, crc: crc ?? undefined, gpl })),
    versions: m.imports.flatMap(([name, crc]) => (crc === null ? [] : [{ name, crc }])),
    undefinedSymbols: m.imports.map(([name]) => ({ name, weak: false })),
  }));
  return { release: data.release, flavor: data.flavor, initrd: data.initrd, symvers: { entries }, modules };
}
