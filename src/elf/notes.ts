/** One ELF note: name, type and descriptor bytes (ELF gABI "Note Section"). */
export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

/** NT_GNU_BUILD_ID, as in glibc's elf.h: the note `GNU` of type 3 carries the build ID. */
export const NT_GNU_BUILD_ID = 3;

const align4 = (n: number) => (n + 3) & ~3;

/**
 * Splits a notes blob (a PT_NOTE segment, or /sys/kernel/notes, which the kernel fills from its own
 * .notes section in kernel/ksysfs.c) into notes: namesz, descsz and type as 32-bit words, then the
 * name and the descriptor, each padded to 4 bytes. Stops at a truncated note; never reads past the end.
 */
export function parseElfNotes(bytes: Uint8Array, littleEndian = true): ElfNote[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notes: ElfNote[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const nameSize = view.getUint32(at, littleEndian);
    const descSize = view.getUint32(at + 4, littleEndian);
    const type = view.getUint32(at + 8, littleEndian);
    const nameStart = at + 12;
    const descStart = nameStart + align4(nameSize);
    const end = descStart + align4(descSize);
    if (descStart + descSize > bytes.length || nameSize > bytes.length) break;
    let nameEnd = nameStart + nameSize;
    while (nameEnd > nameStart && bytes[nameEnd - 1] === 0) nameEnd--;
    const name = Buffer.from(bytes.subarray(nameStart, nameEnd)).toString('latin1');
    notes.push({ name, type, desc: bytes.subarray(descStart, descStart + descSize) });
    at = end;
  }
  return notes;
}

/** The GNU build ID in a notes blob as lower-case hex, or undefined when there is none. */
export function findBuildId(bytes: Uint8Array, littleEndian = true): string | undefined {
  const note = parseElfNotes(bytes, littleEndian).find((n) => n.name === 'GNU' && n.type === NT_GNU_BUILD_ID);
  return note === undefined || note.desc.length === 0 ? undefined : Buffer.from(note.desc).toString('hex');
}
