import { type ElfFile, sectionBytes } from './elf-file.js';
import { findBuildId } from './notes.js';

const SHT_NOTE = 7;

/**
 * The NT_GNU_BUILD_ID note of a module (owner `GNU`) as lower-case hex: the first SHT_NOTE section
 * that has one, walked as every notes blob is (`parseElfNotes`). A note that does not fit its section
 * ends the walk: the build ID is then unknown, which is not an error for a module.
 */
export function readModuleBuildId(elf: ElfFile): string | undefined {
  for (const section of elf.sections) {
    if (section.type !== SHT_NOTE) continue;
    const found = findBuildId(sectionBytes(elf, section), elf.littleEndian);
    if (found !== undefined) return found;
  }
  return undefined;
}
