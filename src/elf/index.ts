/** Reading ELF data: kernel module files (32/64-bit, either endianness) and notes (the GNU build ID). */

export { compressionOf, decompressModule, type ModuleCompression } from './decompress.js';
export {
  cString,
  type ElfFile,
  type ElfSection,
  findSection,
  parseElf,
  sectionBytes,
  sectionHeaderRange,
  sectionNamesRange,
  stringTable,
} from './elf-file.js';
export { ImportCollector, type ImportList, importListOf, type ModuleImports, NO_CRC } from './imports.js';
export { decodeImports, type EncodedImports, ImportsEncoder, isEncodedImports } from './imports-codec.js';
export { parseModinfo } from './modinfo.js';
export { isModuleFile, kernelModuleName, MODULE_FILE, moduleNameFromPath } from './module-name.js';
export { readModuleBuildId } from './module-notes.js';
export { type ElfNote, findBuildId, NT_GNU_BUILD_ID, parseElfNotes } from './notes.js';
export {
  hasSignature,
  moduleRanges,
  readModule,
  readModuleElf,
  readModuleImportsElf,
} from './read-module.js';
export type {
  ModuleExport,
  ModuleInfo,
  ModuleSymbols,
  ModuleUndefinedSymbol,
  ModuleVersion,
} from './types.js';
export { XZ_TAIL_SIZE, xzUncompressedSize } from './xz-index.js';
