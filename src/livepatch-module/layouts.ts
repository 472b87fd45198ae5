import { InputError } from '../input/index.js';

/**
 * Where the fields a patch author sets ("external" in include/linux/livepatch.h) lie in struct
 * klp_patch, klp_object, klp_func, klp_state and klp_callbacks, per kernel version, for 64-bit
 * kernels (LP64: pointers and longs are 8 bytes on x86_64, arm64, ppc64le and s390x alike). The
 * strides are sizeof of each struct, internal fields included, with the kobject of a kernel built
 * without CONFIG_DEBUG_KOBJECT_RELEASE (Debian's, and every distribution kernel klpm knows).
 * docs/inspect.md lists each row with the commit it comes from.
 */
export interface StructLayout {
  /** the layout's name in docs and errors */
  readonly id: string;
  /** first kernel version (major.minor) the layout is for; `until` is the first it is not */
  readonly since: string;
  readonly until: string | undefined;
  /** the upstream commit (or list post) the layout comes from */
  readonly source: string;
  readonly patch: {
    readonly mod: number;
    readonly objs: number;
    readonly states: number | undefined;
    /** `bool replace` */
    readonly replace: number | undefined;
    /** `u32 replace_set`, in the unmerged series only */
    readonly replaceSet: number | undefined;
  };
  readonly object: {
    readonly size: number;
    readonly name: number;
    readonly funcs: number;
    /** offset of struct klp_callbacks (pre_patch, post_patch, pre_unpatch, post_unpatch pointers) */
    readonly callbacks: number | undefined;
  };
  readonly func: {
    readonly size: number;
    readonly oldName: number;
    readonly newFunc: number;
    readonly oldSympos: number;
  };
  readonly state: { readonly size: number; readonly id: number; readonly version: number } | undefined;
}

const OBJECT_4_15 = { size: 136, name: 0, funcs: 8, callbacks: 16 };
const OBJECT_5_1 = { size: 168, name: 0, funcs: 8, callbacks: 16 };
const FUNC_5_1 = { size: 152, oldName: 0, newFunc: 8, oldSympos: 16 };
const STATE_5_5 = { size: 24, id: 0, version: 8 };

export const LAYOUTS: ReadonlyArray<StructLayout> = [
  {
    id: 'callbacks-4.15',
    since: '4.15',
    until: '4.16',
    source: '93862e385ded ("livepatch: add (un)patch callbacks")',
    patch: { mod: 0, objs: 8, states: undefined, replace: undefined, replaceSet: undefined },
    object: OBJECT_4_15,
    // 4.15 still has `bool immediate` after old_sympos
    func: { size: 144, oldName: 0, newFunc: 8, oldSympos: 16 },
    state: undefined,
  },
  {
    id: 'no-immediate-4.16',
    since: '4.16',
    until: '5.1',
    source: 'd0807da78e11 ("livepatch: Remove immediate feature")',
    patch: { mod: 0, objs: 8, states: undefined, replace: undefined, replaceSet: undefined },
    object: OBJECT_4_15,
    func: { size: 136, oldName: 0, newFunc: 8, oldSympos: 16 },
    state: undefined,
  },
  {
    id: 'replace-5.1',
    since: '5.1',
    until: '5.5',
    source: 'e1452b607c48 ("livepatch: Add atomic replace")',
    patch: { mod: 0, objs: 8, states: undefined, replace: 16, replaceSet: undefined },
    object: OBJECT_5_1,
    func: FUNC_5_1,
    state: undefined,
  },
  {
    id: 'states-5.5',
    since: '5.5',
    until: undefined,
    source:
      '73727f4dafa2 ("livepatch: Basic API to track system state changes"; the version field came in the same 5.5 series)',
    patch: { mod: 0, objs: 8, states: 16, replace: 24, replaceSet: undefined },
    object: OBJECT_5_1,
    func: FUNC_5_1,
    state: STATE_5_5,
  },
];

/**
 * The replace-set series (Yafang Shao, "[PATCH v2 2/4] livepatch: Support scoped atomic replace using
 * replace_set", <20260529034542.68766-3-laoar.shao@gmail.com>, live-patching list, May 2026; reviewed in
 * https://www.mail-archive.com/live-patching@vger.kernel.org/msg00511.html; docs/research/live-patching-list.md
 * R1): `bool replace` becomes `unsigned int replace_set` in the same place. Unmerged: no vermagic names
 * it, so it is only used when asked for (`layout: 'replace-set'`).
 */
export const REPLACE_SET_LAYOUT: StructLayout = {
  id: 'replace-set',
  since: '5.5',
  until: undefined,
  source: '[PATCH v2 2/4] <20260529034542.68766-3-laoar.shao@gmail.com> (unmerged)',
  patch: { mod: 0, objs: 8, states: 16, replace: undefined, replaceSet: 24 },
  object: OBJECT_5_1,
  func: FUNC_5_1,
  state: STATE_5_5,
};

/** `6.1.0-57-amd64 SMP preempt mod_unload modversions` -> [6, 1]. */
export function kernelVersionOf(vermagic: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(vermagic.trim());
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

const versionNumber = (text: string) => {
  const [major, minor] = text.split('.').map(Number) as [number, number];
  return major * 1000 + minor;
};

/** The layout for the kernel the module's vermagic names; an InputError when klpm knows none. */
export function layoutFor(vermagic: string | undefined, source: string): StructLayout {
  if (vermagic === undefined)
    throw new InputError(
      'no vermagic in .modinfo: cannot tell which klp_patch layout the module uses',
      source,
    );
  const version = kernelVersionOf(vermagic);
  if (version === undefined)
    throw new InputError(`vermagic '${vermagic}' does not start with a kernel version`, source);
  const n = version[0] * 1000 + version[1];
  const layout = LAYOUTS.find(
    (l) => n >= versionNumber(l.since) && (l.until === undefined || n < versionNumber(l.until)),
  );
  if (layout === undefined)
    throw new InputError(
      `kernel ${version.join('.')} (vermagic) predates the klp_patch layouts klpm knows (4.15 and later)`,
      source,
    );
  return layout;
}
