import type { PatchManifest } from '../klp/index.js';

/** A `.klp.sym.<object>.<symbol>,<sympos>` symbol: a non-exported symbol the kernel resolves at load (kernel/livepatch/core.c klp_resolve_symbols). */
export interface KlpSym {
  readonly object: string;
  readonly symbol: string;
  readonly sympos: number;
}

/** A `.klp.rela.<object>.<section>` section: relocations the kernel applies once `object` is loaded (klp_apply_section_relocs). */
export interface KlpRelaSection {
  readonly object: string;
  readonly section: string;
}

/** Who built the module, which decides where its patch is described (docs/inspect.md). */
export type PatchBuilder = 'static' | 'kpatch' | 'klp-build';

/** What the kernel will see of a livepatch module once it is loaded. */
export interface LivepatchModule {
  /** the patch as klpm's manifest (docs/schema/patch-manifest.json) */
  readonly manifest: PatchManifest;
  /** `.modinfo`, the first value of each key */
  readonly modinfo: Record<string, string>;
  readonly klpSyms: KlpSym[];
  readonly klpRelaSections: KlpRelaSection[];
  readonly builder: PatchBuilder;
  /** the struct layout row the patch was read with (layouts.ts) */
  readonly layout: string;
  readonly machine: string;
  /** the file carries an appended module signature (read like an unsigned one) */
  readonly signed: boolean;
  /** what was taken from the builder's documented default rather than read from the data */
  readonly notes: string[];
}

/** Options of readLivepatchModule. */
export interface ReadOptions {
  /** read `struct klp_patch` with the unmerged replace-set layout instead of the vermagic's */
  readonly layout?: 'replace-set';
}
