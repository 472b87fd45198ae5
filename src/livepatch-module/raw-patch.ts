import type { CallbackName } from '../klp/index.js';

/** A patch as a builder's data describes it, before it is checked as a manifest. */
export interface RawPatch {
  readonly replace: boolean;
  readonly replaceSet?: number;
  readonly states: Array<{ id: number; version: number }>;
  readonly objects: RawObject[];
}

export interface RawObject {
  /** `vmlinux` for a NULL name */
  readonly name: string;
  readonly funcs: Array<{ name: string; sympos: number }>;
  readonly callbacks: CallbackName[];
}
