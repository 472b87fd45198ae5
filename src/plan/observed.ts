import type { KernelKind, PatchManifest } from '../klp/index.js';
import type { HostLivepatchState, LoadedPatch } from './types.js';

/**
 * What a running kernel shows of its livepatches (/sys/kernel/livepatch, /sys/module, /proc), as
 * host/livepatch-state.ts reads it (kernel/livepatch/core.c patch_attrs, object and func kobjects).
 */

export interface HostFunc {
  readonly name: string;
  readonly sympos: number;
}

export interface HostObject {
  readonly name: string;
  readonly patched: boolean;
  readonly funcs: ReadonlyArray<HostFunc>;
}

export interface HostPatch {
  readonly name: string;
  readonly enabled: boolean;
  readonly transition: boolean;
  /** 6.11 and later */
  readonly replace: boolean | undefined;
  /** replace-set kernels */
  readonly replaceSet: number | undefined;
  /** provides kernels */
  readonly provides: number | undefined;
  readonly obsoletes: ReadonlyArray<number> | undefined;
  /** 6.14 and later */
  readonly stackOrder: number | undefined;
  /** MODULE_VERSION of the patch module (/sys/module/<patch>/version) */
  readonly version: string | undefined;
  readonly objects: ReadonlyArray<HostObject>;
}

export interface HostLivepatchView {
  /** `uname -r` (/proc/sys/kernel/osrelease) */
  readonly release: string | undefined;
  /** which kernel kind the attributes show; undefined while no patch is loaded to tell */
  readonly kind: KernelKind | undefined;
  /** optional attributes seen on the patches (replace, stack_order, replace_set, provides) */
  readonly attributes: ReadonlyArray<string>;
  /** patches in stack order when the kernel shows it, else by name */
  readonly patches: ReadonlyArray<HostPatch>;
  /** loaded modules (/proc/modules) */
  readonly modules: ReadonlyArray<string>;
}

/** A patch the repository describes: the manifest it was built from and the version it brings. */
export interface KnownPatch {
  readonly manifest: PatchManifest;
  readonly to: string;
}

export interface HostStateResult {
  readonly state: HostLivepatchState;
  /** loaded patches the repository does not describe: their manifests come from sysfs alone */
  readonly unknown: ReadonlyArray<string>;
}

/**
 * The plan's view of a host: each loaded patch with the manifest the repository knows it by (matched
 * by module name, which is unique per build), else one read back from sysfs. With no patch loaded the
 * attributes cannot be seen, so the release tells them: `replace` exists since 6.11 (commit
 * "livepatch: Add sysfs attribute replace") and `stack_order` since 6.14; replace sets are only known
 * once a patch shows `replace_set`.
 */
export function hostStateFromObserved(
  host: HostLivepatchView,
  known: ReadonlyMap<string, KnownPatch>,
  targets: ReadonlySet<string>,
): HostStateResult {
  const unknown: string[] = [];
  const patches = host.patches.map((observed): LoadedPatch => {
    const match = known.get(observed.name);
    if (match === undefined) unknown.push(observed.name);
    return {
      manifest: match?.manifest ?? manifestFromSysfs(observed),
      to: match?.to ?? observed.version,
      enabled: observed.enabled,
      transition: observed.transition,
    };
  });
  const kind = host.kind ?? 'replace-bool';
  const attributes =
    host.kind === undefined
      ? attributesOfRelease(host.release)
      : (['replace', 'stack_order'] as const).filter((a) => host.attributes.includes(a));
  const wanted = new Set([...targets, ...patches.flatMap((p) => p.manifest.objects.map((o) => o.name))]);
  const modules = host.modules.filter(
    (m) => wanted.has(m) && !host.patches.some((p) => p.name === m) && m !== 'vmlinux',
  );
  return { state: { kind, attributes, patches, modules }, unknown };
}

/** The manifest a loaded patch implies when nothing else is known: no states, no callbacks. */
function manifestFromSysfs(observed: HostPatch): PatchManifest {
  return {
    name: observed.name,
    replaceSet: observed.replaceSet ?? observed.provides ?? 0,
    obsoletes: [...(observed.obsoletes ?? [])],
    replace: observed.replace ?? false,
    states: [],
    objects: observed.objects.map((o) => ({
      name: o.name,
      funcs: o.funcs.map((f) => ({ name: f.name, sympos: f.sympos })),
      callbacks: [],
    })),
    ...(observed.version === undefined ? {} : { version: observed.version }),
  };
}

/** Optional replace-bool attributes by kernel release (major.minor), for a kernel with no patch loaded. */
export function attributesOfRelease(release: string | undefined): Array<'replace' | 'stack_order'> {
  const match = /^(\d+)\.(\d+)/.exec(release ?? '');
  if (!match) return [];
  const version = Number(match[1]) * 1000 + Number(match[2]);
  return [
    ...(version >= 6011 ? (['replace'] as const) : []),
    ...(version >= 6014 ? (['stack_order'] as const) : []),
  ];
}
