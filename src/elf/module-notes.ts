import { type ElfFile, sectionBytes } from './elf-file.js';

const SHT_NOTE = 7;
const NT_GNU_BUILD_ID = 3;

/**
 * The NT_GNU_BUILD_ID note (owner `GNU`) as lower-case hex. Notes are namesz, descsz, type, then
 * name and desc each padded to 4 bytes (gABI "Note Section"). A note that does not fit its section
 * ends the walk: the build ID is then unknown, which is not an error for a module.
 */
export function readBuildId(elf: ElfFile): string | undefined {
  for (const section of elf.sections) {
    if (section.type !== SHT_NOTE) continue;
    const bytes = sectionBytes(elf, section);
    let at = 0;
    while (at + 12 <= bytes.length) {
      const base = section.offset + at;
      const namesz = elf.view.getUint32(base, elf.littleEndian);
      const descsz = elf.view.getUint32(base + 4, elf.littleEndian);
      const type = elf.view.getUint32(base + 8, elf.littleEndian);
      if (namesz > bytes.length || descsz > bytes.length) break;
      const nameAt = at + 12;
      const descAt = nameAt + align4(namesz);
      const next = descAt + align4(descsz);
      if (descAt + descsz > bytes.length) break;
      const isGnu =
        namesz === 4 &&
        bytes[nameAt] === 0x47 &&
        bytes[nameAt + 1] === 0x4e &&
        bytes[nameAt + 2] === 0x55 &&
        bytes[nameAt + 3] === 0;
      if (isGnu && type === NT_GNU_BUILD_ID) return toHex(bytes.subarray(descAt, descAt + descsz));
      at = next;
    }
  }
  return undefined;
}

const align4 = (n: number) => (n + 3) & ~3;

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
