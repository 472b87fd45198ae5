import { InputError } from '../input/index.js';
import { decodeText, type ElfFile, findSection, sectionBytes } from './elf-file.js';
import type { ModuleVersion } from './types.js';

const ENTRY = 64;

/**
 * The symbols a module imports with the CRCs it was built against. `__versions` holds 64-byte
 * entries, struct modversion_info in include/linux/module.h: an unsigned long CRC (8 bytes on
 * 64-bit, 4 on 32-bit; only the low 32 bits are compared) then the NUL-padded name. Names too long
 * for that field go to the extended tables `__version_ext_crcs` (32-bit CRCs) and
 * `__version_ext_names` (NUL-terminated names, same order), which the kernel prefers when present
 * (check_version in kernel/module/version.c, CONFIG_EXTENDED_MODVERSIONS).
 */
export function readVersions(elf: ElfFile): ModuleVersion[] {
  const versions: ModuleVersion[] = [];
  eachVersion(elf, (name, crc) => versions.push({ name, crc }));
  return versions;
}

/** readVersions handing each entry to `visit` instead of collecting them. */
export function eachVersion(elf: ElfFile, visit: (name: string, crc: number) => void): void {
  const extCrcs = findSection(elf, '__version_ext_crcs');
  const extNames = findSection(elf, '__version_ext_names');
  if (extCrcs !== undefined && extNames !== undefined) {
    readExtendedVersions(elf, extCrcs.index, extNames.index, visit);
    return;
  }
  const section = findSection(elf, '__versions');
  if (section === undefined) return;
  if (section.size % ENTRY !== 0)
    throw new InputError(
      `__versions is ${section.size} bytes, not a multiple of ${ENTRY}`,
      elf.source,
      `offset 0x${section.offset.toString(16)}`,
    );
  const crcSize = elf.is64 ? 8 : 4;
  const bytes = sectionBytes(elf, section);
  for (let at = 0; at < bytes.length; at += ENTRY) {
    // low 32 bits: on big-endian 64-bit they are the second word
    const crcAt = section.offset + at + (elf.is64 && !elf.littleEndian ? 4 : 0);
    const crc = elf.view.getUint32(crcAt, elf.littleEndian);
    const field = bytes.subarray(at + crcSize, at + ENTRY);
    const nul = field.indexOf(0);
    visit(decodeText(nul < 0 ? field : field.subarray(0, nul)), crc);
  }
}

function readExtendedVersions(
  elf: ElfFile,
  crcsIndex: number,
  namesIndex: number,
  visit: (name: string, crc: number) => void,
): void {
  const crcs = elf.sections[crcsIndex]!;
  const names = elf.sections[namesIndex]!;
  if (crcs.size % 4 !== 0)
    throw new InputError(
      `__version_ext_crcs is ${crcs.size} bytes, not a multiple of 4`,
      elf.source,
      `offset 0x${crcs.offset.toString(16)}`,
    );
  const count = crcs.size / 4;
  const nameBytes = sectionBytes(elf, names);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = nameBytes.indexOf(0, start);
    if (end < 0)
      throw new InputError(
        `__version_ext_names has fewer names than the ${count} CRCs of __version_ext_crcs`,
        elf.source,
        `offset 0x${(names.offset + start).toString(16)}`,
      );
    visit(
      decodeText(nameBytes.subarray(start, end)),
      elf.view.getUint32(crcs.offset + i * 4, elf.littleEndian),
    );
    start = end + 1;
  }
}
