import { cp, mkdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../../input/index.js';
import type { BootCriticalGap, InstalledKernel, KmpBuild, KmpLink, Resolution } from '../../kabi/index.js';
import {
  blockingGaps,
  kmpBuildDir,
  kmpStoreDir,
  type LinkOperation,
  planLinks,
  resolveKmps,
  weakUpdatesDir,
} from '../../kabi/index.js';
import {
  kernelFromDescription,
  parseKernel,
  parseKmpBuild,
  registeredText,
  servedBefore,
} from '../../kmp/index.js';
import { mustStayInside } from '../containment.js';
import { readFileText } from '../files.js';
import { acquireLockWaiting } from '../lock.js';
import { statePath } from '../paths.js';
import { placeProblems } from '../place-check.js';
import { type ReadProblem, refuseOnProblems } from '../read-problem.js';
import { type DepmodFailure, executeLinkPlan } from './execute.js';
import { owedDepmods } from './journal.js';
import { type KernelTreeOptions, readKernelTree } from './kernel-tree.js';
import type { ModuleReader } from './module-reader.js';
import { buildFromDescription, type KmpState, readState } from './state.js';

export interface KmpOptions {
  readonly root: string;
  readonly reader: ModuleReader;
  /** plan only, change nothing (as `dryRun` in updates) */
  readonly dryRun: boolean;
  readonly depmod: boolean;
  /** seconds a change waits for another klpm's lock (0 or absent: fail at once, exit 5) */
  readonly wait?: number;
}

/** What a kmp command decided and did. */
export interface KmpOutcome {
  readonly resolution: Resolution;
  /** the links on disk before the command */
  readonly before: ReadonlyArray<KmpLink>;
  readonly operations: ReadonlyArray<LinkOperation>;
  /** boot-critical gaps that stopped the change: when not empty, nothing changed */
  readonly blocked: ReadonlyArray<BootCriticalGap>;
  readonly applied: boolean;
  readonly depmodFailures: ReadonlyArray<DepmodFailure>;
  /** kernels whose depmod --no-depmod skipped: still owed, the next `klpm kmp link` runs it */
  readonly depmodOwed: ReadonlyArray<string>;
  /** what could not be read (a change refuses instead: only reading commands have any) */
  readonly problems: ReadonlyArray<ReadProblem>;
  /** add-kernel: what was read of the kernel, and from where */
  readonly kernelRead?: KernelRead;
}

/** What `klpm kmp add-kernel` read of a kernel. */
export interface KernelRead {
  readonly release: string;
  readonly flavor: string;
  /** the symvers file (or the JSON description) the kernel's exports came from */
  readonly symvers: string;
  /** module files read from /lib/modules/<K>/ */
  readonly modules: number;
  readonly initrd: ReadonlyArray<string>;
  /** where the initrd module list came from; null: none given, no module is boot-critical by initrd */
  readonly initrdFile: string | null;
}

/** `klpm kmp resolve` / `link` / `status`: brings weak-updates/ in line with the store and the kernels. */
export async function kmpLink(options: KmpOptions): Promise<KmpOutcome> {
  return locked(options, async () => {
    const state = await stateFor(options);
    return change(options, state, state.kernels, state.builds, []);
  });
}

/**
 * A change holds klpm's lock from reading the state to the last link, so two package transactions
 * calling klpm at once queue (`--wait`) instead of planning from the same links. A dry run does not.
 */
async function locked<T>(options: KmpOptions, work: () => Promise<T>): Promise<T> {
  if (options.dryRun) return work();
  const lock = await acquireLockWaiting(
    await mustStayInside(options.root, statePath(options.root, 'lock'), '--root', 'lock'),
    options.wait ?? 0,
  );
  try {
    return await work();
  } finally {
    lock.release();
  }
}

/** `klpm kmp add DIR`: puts a build into the store and links it where it fits. */
export async function kmpAdd(options: KmpOptions, dir: string): Promise<KmpOutcome> {
  return locked(options, () => add(options, dir));
}

async function add(options: KmpOptions, dir: string): Promise<KmpOutcome> {
  const source = join(dir, 'kmp.json');
  const description = parseKmpBuild(await readFileText(source), source);
  for (const m of description.modules) await mustExist(join(dir, m.file));
  const build = await buildFromDescription(description, dir, options.reader);
  const state = await stateFor(options, [build]);
  const builds = [...state.builds.filter((b) => !sameBuild(b, build)), build];
  const target = await mustStayInside(
    storeOf(options.root),
    join(options.root, kmpBuildDir(build.package, build.version, build.builtFor)),
    'the KMP store',
    source,
    'package, version, kernel',
  );
  // a package manager unpacks the build into the store itself and then calls `kmp add` on it
  const stored = await storedAs(
    dir,
    target,
    description.modules.map((m) => m.file),
  );
  if (stored === 'differs')
    throw new InputError(
      `${build.package} ${build.version} built for ${build.builtFor} is already in the store with other contents (${target}); remove it first or give the build a new version`,
      source,
    );
  return change(options, state, state.kernels, builds, [], async () => {
    if (stored === 'same') return;
    const temp = `${target}.klpm-new`;
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    await cp(dir, temp, { recursive: true });
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  });
}

/** `klpm kmp remove PACKAGE [VERSION]`: unlinks a package (or one version) and drops it from the store. */
export async function kmpRemove(
  options: KmpOptions,
  pkg: string,
  version?: string,
  builtFor?: string,
): Promise<KmpOutcome> {
  return locked(options, () => remove(options, pkg, version, builtFor));
}

async function remove(
  options: KmpOptions,
  pkg: string,
  version: string | undefined,
  builtFor: string | undefined,
): Promise<KmpOutcome> {
  const state = await stateFor(options);
  const gone = state.builds.filter(
    (b) =>
      b.package === pkg &&
      (version === undefined || b.version === version) &&
      (builtFor === undefined || b.builtFor === builtFor),
  );
  if (gone.length === 0)
    throw new InputError(
      `no build of ${pkg}${version ? ` version ${version}` : ''}${builtFor ? ` built for ${builtFor}` : ''} in the store: see klpm kmp status`,
      'PACKAGE',
    );
  const builds = state.builds.filter((b) => !gone.includes(b));
  const dirs: string[] = [];
  for (const b of gone)
    dirs.push(
      await mustStayInside(
        storeOf(options.root),
        join(options.root, kmpBuildDir(b.package, b.version, b.builtFor)),
        'the KMP store',
        'PACKAGE',
      ),
    );
  const outcome = await change(options, state, state.kernels, builds, []);
  if (outcome.applied)
    for (const dir of dirs) {
      await rm(dir, { recursive: true, force: true });
      // the version and package directories go with their last build
      for (const parent of [dirname(dir), dirname(dirname(dir))]) await rmdir(parent).catch(() => undefined);
    }
  return outcome;
}

/** Where `klpm kmp add-kernel` learns about the kernel: its installed files, or a JSON description. */
export type KernelSource =
  | ({ readonly from: 'tree' } & KernelTreeOptions)
  | { readonly from: 'describe'; readonly describe: string };

/**
 * `klpm kmp add-kernel K`: reads the kernel a package manager has just installed under the root
 * (or its JSON description), registers it and links the builds that fit it.
 */
export async function kmpAddKernel(
  options: KmpOptions,
  release: string,
  source: KernelSource,
  allowGap = false,
): Promise<KmpOutcome> {
  return locked(options, () => addKernel(options, release, source, allowGap));
}

async function addKernel(
  options: KmpOptions,
  release: string,
  source: KernelSource,
  allowGap: boolean,
): Promise<KmpOutcome> {
  const { kernel, read } = await kernelOf(options, release, source);
  const state = await stateFor(options);
  const kernels = [...state.kernels.filter((k) => k.release !== release), kernel];
  const file = await registrationFile(options.root, release);
  // --allow-gap: a kernel the package manager has installed is registered even with a gap; it is
  // then not bootable (KR-NOT-BOOTABLE), and every status says so until a compatible build arrives
  const outcome = await change(options, state, kernels, state.builds, allowGap ? [] : [release], async () => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.klpm-new`, registeredText(kernel));
    await rename(`${file}.klpm-new`, file);
  });
  return { ...outcome, kernelRead: read };
}

async function kernelOf(
  options: KmpOptions,
  release: string,
  source: KernelSource,
): Promise<{ kernel: InstalledKernel; read: KernelRead }> {
  if (source.from === 'tree') {
    const tree = await readKernelTree(options.root, release, options.reader, source);
    const { kernel } = tree;
    return {
      kernel,
      read: {
        release,
        flavor: kernel.flavor,
        symvers: tree.symversFile,
        modules: tree.moduleCount,
        initrd: kernel.initrd,
        initrdFile: tree.initrdFile ?? null,
      },
    };
  }
  const description = parseKernel(await readFileText(source.describe), source.describe);
  if (description.release !== release)
    throw new InputError(
      `describes kernel ${description.release}, not ${release}`,
      source.describe,
      'release',
    );
  const kernel = kernelFromDescription(description);
  return {
    kernel,
    read: {
      release,
      flavor: kernel.flavor,
      symvers: source.describe,
      modules: kernel.modules.length,
      initrd: kernel.initrd,
      initrdFile: source.describe,
    },
  };
}

/** `klpm kmp remove-kernel K`: drops a kernel's links and its registration. */
export async function kmpRemoveKernel(options: KmpOptions, release: string): Promise<KmpOutcome> {
  return locked(options, () => removeKernel(options, release));
}

async function removeKernel(options: KmpOptions, release: string): Promise<KmpOutcome> {
  const state = await stateFor(options);
  if (!state.kernels.some((k) => k.release === release))
    throw new InputError(`kernel ${release} is not registered: see klpm kmp status`, 'KERNEL');
  const kernels = state.kernels.filter((k) => k.release !== release);
  const file = await registrationFile(options.root, release);
  const outcome = await change(options, state, kernels, state.builds, []);
  if (outcome.applied) await rm(file, { force: true });
  return outcome;
}

/**
 * The state a command works from. A change (not a dry run) refuses with bad input, before it touches
 * anything, when any of it, or the link journal it will append to, cannot be read.
 */
async function stateFor(options: KmpOptions, adding: ReadonlyArray<KmpBuild> = []): Promise<KmpState> {
  const state = await readState(options.root, options.reader, adding);
  if (!options.dryRun)
    refuseOnProblems([...state.problems, ...placeProblems(options.root, ['kmpJournal'])], 'kmp status');
  return state;
}

const storeOf = (root: string) => join(root, kmpStoreDir);

/** Where kernel `release` is registered: `<K>.json` inside the kernels directory, inside the root. */
async function registrationFile(root: string, release: string): Promise<string> {
  const dir = await mustStayInside(root, statePath(root, 'kmpKernels'), '--root', 'KERNEL');
  return mustStayInside(dir, join(dir, `${release}.json`), 'the registered kernels', 'KERNEL');
}

async function change(
  options: KmpOptions,
  state: KmpState,
  kernels: ReadonlyArray<InstalledKernel>,
  builds: ReadonlyArray<KmpBuild>,
  adding: ReadonlyArray<string>,
  before?: () => Promise<void>,
): Promise<KmpOutcome> {
  const resolution = resolveKmps(kernels, builds, servedBefore(state.links, state.builds));
  const operations = planLinks(state.links, resolution);
  const blocked = blockingGaps(resolution, adding);
  const outcome = { resolution, before: state.links, operations, blocked, problems: state.problems };
  if (blocked.length > 0 || options.dryRun)
    return { ...outcome, applied: false, depmodFailures: [], depmodOwed: [] };
  for (const o of operations)
    if (o.op !== 'depmod')
      await mustStayInside(
        options.root,
        join(options.root, weakUpdatesDir(o.kernel), o.name),
        '--root',
        `${o.kernel}/weak-updates/${o.name}`,
      );
  await before?.();
  const registered = new Set(kernels.map((k) => k.release));
  const owed = owedDepmods(statePath(options.root, 'kmpJournal')).filter((k) => registered.has(k));
  const { depmodFailures, depmodOwed } = executeLinkPlan(options.root, operations, {
    depmod: options.depmod,
    owedDepmods: owed,
  });
  return { ...outcome, applied: true, depmodFailures, depmodOwed };
}

function sameBuild(a: KmpBuild, b: KmpBuild): boolean {
  return a.package === b.package && a.version === b.version && a.builtFor === b.builtFor;
}

/**
 * Whether the build at `dir` is already in the store at `target`: `absent`, the `same` (kmp.json and
 * every module file byte for byte; `dir` being the store directory itself is the same), or it `differs`.
 */
async function storedAs(
  dir: string,
  target: string,
  files: ReadonlyArray<string>,
): Promise<'absent' | 'same' | 'differs'> {
  const here = await realpath(target).catch(() => undefined);
  if (here === undefined) return 'absent';
  if (here === (await realpath(dir))) return 'same';
  for (const file of ['kmp.json', ...files]) {
    const [a, b] = await Promise.all([
      readFile(join(dir, file)),
      readFile(join(target, file)).catch(() => undefined),
    ]);
    if (b === undefined || !a.equals(b)) return 'differs';
  }
  return 'same';
}

async function mustExist(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new InputError('module file named in kmp.json is missing', path);
  }
}
