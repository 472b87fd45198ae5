/** Reading kernel module files: ELF relocatable modules, 32/64-bit, either endianness. */

// module reader (elf2)
export { compressionOf, decompressModule, type ModuleCompression } from './decompress.js';
export { type ElfFile, type ElfSection, parseElf, sectionHeaderRange } from './elf-file.js';
export { readBuildId } from './module-notes.js';
export { moduleRanges, readModule } from './read-module.js';
export type { ModuleExport, ModuleInfo, ModuleUndefinedSymbol, ModuleVersion } from './types.js';
