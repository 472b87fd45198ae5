/** Reading a livepatch module: the `struct klp_patch` (or a builder's tables) the kernel will see, from the `.ko` (docs/inspect.md). */

export { manifestDifference } from './difference.js';
export { LAYOUTS, REPLACE_SET_LAYOUT, type StructLayout } from './layouts.js';
export { readLivepatchModule } from './read.js';
export type { KlpRelaSection, KlpSym, LivepatchModule, PatchBuilder, ReadOptions } from './types.js';
