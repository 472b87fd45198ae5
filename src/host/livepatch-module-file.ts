import { compressionOf } from '../elf/index.js';
import { InputError } from '../input/index.js';
import type { LintInput } from '../lint/index.js';

/** Whether a file's bytes are a kernel module (ELF, or gzip/xz/zstd as kmod opens them) rather than a manifest. */
export function isModuleFile(bytes: Uint8Array): boolean {
  const elf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  return elf || compressionOf(bytes) !== 'none';
}

/**
 * A livepatch module file read as lint takes it: the manifest the kernel will see, modinfo and the
 * `.klp.sym` symbols. The one place klpm's shell reads a `.ko` for lint; it needs the
 * livepatch-module reader (issue 16 item 1), which this branch does not have yet.
 */
export function livepatchModuleInput(_bytes: Uint8Array, file: string): LintInput {
  throw new InputError('reading .ko needs the livepatch-module reader', file);
}
