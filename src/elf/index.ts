/** Reading ELF data klpm needs: notes (the GNU build ID) and the module types shared with kabi/ and host/. */
export { type ElfNote, findBuildId, NT_GNU_BUILD_ID, parseElfNotes } from './notes.js';
export type * from './types.js';
