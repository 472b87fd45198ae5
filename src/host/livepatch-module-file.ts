import { compressionOf } from '../elf/index.js';
import type { LintInput } from '../lint/index.js';
import { readLivepatchModuleFile } from './livepatch/index.js';

/** Whether a file's bytes are a kernel module (ELF, or gzip/xz/zstd as kmod opens them) rather than a manifest. */
export function isModuleFile(bytes: Uint8Array): boolean {
  const elf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  return elf || compressionOf(bytes) !== 'none';
}

/**
 * A livepatch module file as lint takes it: the manifest the kernel will see, modinfo and the
 * `.klp.sym` symbols, read from the file as `klpm inspect` reads it (compressed files too).
 */
export async function livepatchModuleInput(file: string): Promise<LintInput> {
  const m = await readLivepatchModuleFile(file);
  return { file, manifest: m.manifest, modinfo: m.modinfo, klpSyms: m.klpSyms };
}
