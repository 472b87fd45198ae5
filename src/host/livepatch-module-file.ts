import { compressionOf } from '../elf/index.js';
import { InputError } from '../input/index.js';
import type { LintInput } from '../lint/index.js';

/** Whether a file's bytes are a kernel module (ELF, or gzip/xz/zstd as kmod opens them) rather than a manifest. */
export function isModuleFile(bytes: Uint8Array): boolean {
  const elf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  return elf || compressionOf(bytes) !== 'none';
}

/**
 * A livepatch module file as lint takes it: the manifest the kernel will see, modinfo and the
 * `.klp.sym` symbols. The one place `klpm lint` reads a `.ko`. It needs the livepatch-module reader
 * (issue 16 item 1, `src/livepatch-module/`), which is not on this branch yet: once it is, the body
 * becomes `const m = readLivepatchModule(bytes, file); return { file, manifest: m.manifest,
 * modinfo: m.modinfo, klpSyms: m.klpSyms };` (bytes decompressed first, xz too, if the reader
 * does not do that itself).
 */
export async function livepatchModuleInput(_bytes: Uint8Array, file: string): Promise<LintInput> {
  throw new InputError('reading .ko needs the livepatch-module reader', file);
}
