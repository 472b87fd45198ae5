import { lstat, readFile, readlink } from 'node:fs/promises';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { type ModuleInfo, moduleNameFromPath } from '../../elf/index.js';
import type { InstalledKernel, KmpBuild, KmpLink, ResolveFields } from '../../kabi/index.js';
import { buildOfTarget, kmpStoreDir } from '../../kabi/index.js';
import {
  describedModule,
  flavorOf,
  type KmpBuildDescription,
  parseKmpBuild,
  type Relevant,
  readRegistered,
  relevantTo,
} from '../../kmp/index.js';
import { listNames } from '../files.js';
import { statePath } from '../paths.js';
import type { ModuleReader } from './module-reader.js';

/** Prefix of a link being created, before it is renamed into place. */
export const tempPrefix = '.klpm-new-';

/** Everything klpm needs to resolve: kernels, builds in the store, the links on disk. */
export interface KmpState {
  readonly kernels: InstalledKernel[];
  readonly builds: KmpBuild[];
  readonly links: KmpLink[];
}

/**
 * Reads the store, the links and the registered kernels. Each kernel is read only as far as the
 * builds (those in the store and `adding`) can be affected by it (`readRegistered`).
 */
export async function readState(
  root: string,
  reader: ModuleReader,
  adding: ReadonlyArray<KmpBuild> = [],
): Promise<KmpState> {
  const [builds, links] = await Promise.all([readBuilds(root, reader), readLinks(root)]);
  const kernels = await readKernels(root, relevantTo([...builds, ...adding]));
  return { kernels, builds, links };
}

export async function readKernels(root: string, relevant?: Relevant): Promise<InstalledKernel[]> {
  const dir = statePath(root, 'kmpKernels');
  const files = (await listNames(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const path = join(dir, file);
      return readRegistered(await readFile(path, 'utf8'), path, relevant);
    }),
  );
}

async function readBuilds(root: string, reader: ModuleReader): Promise<KmpBuild[]> {
  const store = join(root, kmpStoreDir);
  const builds: KmpBuild[] = [];
  for (const pkg of (await listNames(store)).sort())
    for (const version of (await listNames(join(store, pkg))).sort())
      for (const builtFor of (await listNames(join(store, pkg, version))).sort()) {
        const dir = join(store, pkg, version, builtFor);
        const path = join(dir, 'kmp.json');
        const description = parseKmpBuild(await readFile(path, 'utf8'), path);
        builds.push(await buildFromDescription(description, dir, reader));
      }
  return builds;
}

/** A build's modules: as described in kmp.json, or read from the files when the description is short. */
export async function buildFromDescription(
  d: KmpBuildDescription,
  dir: string,
  reader: ModuleReader,
): Promise<KmpBuild> {
  const modules = await Promise.all(
    d.modules.map(async (m): Promise<Pick<ModuleInfo, ResolveFields>> => {
      if (m.exports !== undefined && m.imports !== undefined) {
        const name = m.name ?? moduleNameFromPath(m.file);
        return describedModule(name, m.file, m.exports, m.imports, m.vermagic);
      }
      const info = await reader(join(dir, m.file));
      return {
        name: info.name,
        path: m.file,
        vermagic: info.vermagic,
        versions: info.versions,
        undefinedSymbols: info.undefinedSymbols,
        exports: info.exports,
      };
    }),
  );
  return {
    package: d.package,
    version: d.version,
    flavor: d.flavor ?? flavorOf(d.kernel),
    builtFor: d.kernel,
    bootCritical: d.bootCritical,
    modules,
  };
}

/** The links klpm owns: weak-updates/ entries of every kernel that point into the store. */
export async function readLinks(root: string): Promise<KmpLink[]> {
  const links: KmpLink[] = [];
  const modulesDir = join(root, 'lib/modules');
  for (const kernel of (await listNames(modulesDir)).sort()) {
    const weak = join(modulesDir, kernel, 'weak-updates');
    for (const name of (await listNames(weak)).sort()) {
      if (name.startsWith(tempPrefix)) continue;
      const path = join(weak, name);
      if (!(await lstat(path)).isSymbolicLink()) continue;
      const target = `/${relative(resolvePath(root), resolvePath(dirname(path), await readlink(path)))}`;
      if (buildOfTarget(target)) links.push({ kernel, name, target });
    }
  }
  return links;
}
