import { type ElfFile, findSection, parseElf, sectionBytes } from './elf-file.js';
import { kernelModuleName, moduleNameFromPath, parseModinfo } from './modinfo.js';
import { readBuildId } from './module-notes.js';
import { readSymbols } from './symbols.js';
import type { ModuleInfo } from './types.js';
import { readVersions } from './versions.js';

/** Appended after the signature by scripts/sign-file.c (MODULE_SIG_STRING in include/linux/module_signature.h). */
const SIGNATURE_MARKER = new TextEncoder().encode('~Module signature appended~\n');

/**
 * Reads everything klpm needs from one uncompressed module file. Throws InputError naming `path` and
 * an offset for anything truncated or corrupt.
 */
export function readModule(bytes: Uint8Array, path: string): ModuleInfo {
  const elf = parseElf(bytes, path);
  const modinfoSection = findSection(elf, '.modinfo');
  const modinfo = modinfoSection === undefined ? {} : parseModinfo(sectionBytes(elf, modinfoSection));
  const first = (key: string) => modinfo[key]?.[0];
  const name = first('name');
  const symbols = readSymbols(elf);
  return {
    path,
    name: name === undefined || name === '' ? moduleNameFromPath(path) : kernelModuleName(name),
    vermagic: first('vermagic'),
    srcversion: first('srcversion'),
    depends: (first('depends') ?? '').split(',').filter((dep) => dep !== ''),
    intree: first('intree') === 'Y',
    livepatch: first('livepatch') === 'Y',
    importNs: modinfo.import_ns ?? [],
    modinfo,
    versions: readVersions(elf),
    undefinedSymbols: symbols.undefinedSymbols,
    exports: symbols.exports,
    buildId: readBuildId(elf),
    signed: hasSignature(elf),
  };
}

function hasSignature(elf: ElfFile): boolean {
  const { bytes } = elf;
  if (bytes.length < SIGNATURE_MARKER.length) return false;
  const start = bytes.length - SIGNATURE_MARKER.length;
  for (let i = 0; i < SIGNATURE_MARKER.length; i++)
    if (bytes[start + i] !== SIGNATURE_MARKER[i]) return false;
  return true;
}
