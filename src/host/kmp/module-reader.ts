import type { ModuleInfo } from '../../elf/index.js';
import { readModuleFile } from '../modules/index.js';

/** Reads one module file's metadata. Tests pass their own. */
export type ModuleReader = (path: string) => Promise<ModuleInfo>;

/**
 * elf/'s module reader (.ko, .ko.gz, .ko.xz, .ko.zst). A module described in kmp.json (name, exports,
 * imports) is taken from there and never read.
 */
export const elfModuleReader: ModuleReader = readModuleFile;
