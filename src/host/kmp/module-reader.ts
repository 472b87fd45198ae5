import type { ModuleInfo } from '../../elf/types.js';
import { InputError } from '../../input/index.js';

/** Reads one module file's metadata. elf/'s reader plugs in here; tests pass their own. */
export type ModuleReader = (path: string) => Promise<ModuleInfo>;

/**
 * The reader used until elf/'s module reader is wired in: it refuses, asking for the module to be
 * described in kmp.json (name, exports, imports) instead.
 */
export const describedOnlyReader: ModuleReader = async (path) => {
  throw new InputError(
    'cannot read module files yet: give name, exports and imports of this module in kmp.json',
    path,
  );
};
