import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isModuleFile, type ModuleInfo } from '../../elf/index.js';
import { parseInitrdList } from '../../initrd/index.js';
import { InputError } from '../../input/index.js';
import type { InstalledKernel, ResolveFields } from '../../kabi/index.js';
import { weakUpdatesDir } from '../../kabi/index.js';
import { flavorOf } from '../../kmp/index.js';
import { readFileText } from '../files.js';
import { initrdPlaces, readInitrdModules, readSymversFile } from '../modules/index.js';
import { walkFiles } from '../walk.js';
import { findModuleDir } from './module-dir.js';
import type { ModuleReader } from './module-reader.js';

/** What `klpm kmp add-kernel` may be told instead of finding it. */
export interface KernelTreeOptions {
  /** Module.symvers or symvers-<K>.gz, outside the root; default: searched for under the root */
  readonly symvers?: string | undefined;
  /** default: what follows the release's last `-` */
  readonly flavor?: string | undefined;
  /** a file naming the initrd's modules, one name or path per line */
  readonly initrdModules?: string | undefined;
  /** the kernel's initramfs image, outside the root; default: searched for in `initrdPlaces` */
  readonly initrd?: string | undefined;
}

/** A kernel read from its installed files, and where each part came from. */
export interface KernelTree {
  readonly kernel: InstalledKernel;
  readonly symversFile: string;
  readonly moduleCount: number;
  /** the image or list the initrd's modules came from; undefined when there was none */
  readonly initrdFile: string | undefined;
}

/**
 * Where distributions install a kernel's symvers, relative to the root, in the order tried: SUSE
 * and Red Hat ship `/boot/symvers-<K>.gz` with the kernel (RHEL 8 and later also
 * `/lib/modules/<K>/symvers.gz`, on merged /usr `/usr/lib/modules/<K>/symvers.gz`); Debian ships
 * `Module.symvers` in linux-headers-<K> (7.x too, with every CRC 0 as its kernels have no
 * modversions), and Red Hat in kernel-devel under /usr/src/kernels.
 */
export function symversPlaces(release: string): string[] {
  return [
    `/boot/symvers-${release}.gz`,
    `/lib/modules/${release}/symvers.gz`,
    `/usr/lib/modules/${release}/symvers.gz`,
    `/usr/src/linux-headers-${release}/Module.symvers`,
    `/usr/src/kernels/${release}/Module.symvers`,
  ];
}

/**
 * Reads an installed kernel under `root` as a package manager has just laid it down: every module
 * file in `/lib/modules/<K>/` (or `/usr/lib/modules/<K>/`, `moduleDirPlaces`) except `weak-updates/` (`.ko` and compressed; symlinks are followed,
 * as depmod does), the symvers (given, or found in `symversPlaces`), the flavor and the initrd's
 * module names (from a list, or read from the initramfs image, given or found in `initrdPlaces`).
 */
export async function readKernelTree(
  root: string,
  release: string,
  reader: ModuleReader,
  options: KernelTreeOptions = {},
): Promise<KernelTree> {
  const modulesDir = await findModuleDir(root, release);
  if (modulesDir === undefined)
    throw new InputError(
      // the same words as before /usr/lib/modules was read too: scripts may match them
      `kernel ${release} has no module directory: install the kernel first, or check --root`,
      join(root, 'lib/modules', release),
    );
  const symversFile = options.symvers ?? (await findSymvers(root, release));
  const symvers = await readSymversFile(symversFile);
  const files = await listKernelModules(modulesDir, release);
  const modules: Array<Pick<ModuleInfo, ResolveFields>> = [];
  for (const file of files) {
    const info = await reader(join(modulesDir, file));
    modules.push({
      name: info.name,
      path: file,
      vermagic: info.vermagic,
      versions: info.versions,
      undefinedSymbols: info.undefinedSymbols,
      exports: info.exports,
    });
  }
  const initrdFile =
    options.initrdModules ?? options.initrd ?? (await firstFile(root, initrdPlaces(release)));
  const initrd =
    initrdFile === undefined
      ? []
      : options.initrdModules !== undefined
        ? parseInitrdList(await readFileText(options.initrdModules), release)
        : await readInitrdModules(initrdFile, release);
  return {
    kernel: {
      release,
      flavor: options.flavor ?? flavorOf(release),
      vermagic: kernelVermagic(modules),
      symvers,
      modules,
      initrd,
    },
    symversFile,
    moduleCount: modules.length,
    initrdFile,
  };
}

/**
 * A kernel's vermagic as its own modules carry it (VERMAGIC_STRING, include/linux/vermagic.h): the
 * one most of its in-tree modules have, so a stray module built elsewhere does not decide it.
 */
export function kernelVermagic(modules: ReadonlyArray<Pick<ModuleInfo, 'vermagic'>>): string | undefined {
  const counts = new Map<string, number>();
  for (const m of modules)
    if (m.vermagic !== undefined) counts.set(m.vermagic, (counts.get(m.vermagic) ?? 0) + 1);
  let best: string | undefined;
  for (const [magic, n] of counts) if (best === undefined || n > (counts.get(best) ?? 0)) best = magic;
  return best;
}

/** The first of `places` (relative to the root) that is a file. */
async function firstFile(root: string, places: ReadonlyArray<string>): Promise<string | undefined> {
  for (const place of places) {
    const path = join(root, place);
    if ((await stat(path).catch(() => undefined))?.isFile()) return path;
  }
  return undefined;
}

async function findSymvers(root: string, release: string): Promise<string> {
  const places = symversPlaces(release);
  const found = await firstFile(root, places);
  if (found !== undefined) return found;
  throw new InputError(
    `no symvers for kernel ${release} in ${places.join(', ')}: install the kernel's headers (or devel) package, or give --symvers FILE`,
    join(root, 'lib/modules', release),
  );
}

/**
 * Module files of a kernel, relative to its module directory, sorted. weak-updates/ holds links
 * to other kernels' builds (klpm's and weak-modules'), not the kernel's own modules.
 */
async function listKernelModules(modulesDir: string, release: string): Promise<string[]> {
  const weak = `${weakUpdatesDir(release).slice(`/lib/modules/${release}/`.length)}/`;
  const entries = walkFiles(modulesDir);
  const files: string[] = [];
  for (const entry of entries) {
    if (!isModuleFile(entry.name)) continue;
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const rel = join(entry.parentPath, entry.name).slice(modulesDir.length + 1);
    if (rel.startsWith(weak)) continue;
    if (entry.isSymbolicLink() && !(await stat(join(modulesDir, rel)).catch(() => undefined))?.isFile())
      continue;
    files.push(rel);
  }
  return files.sort();
}
