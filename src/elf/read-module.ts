import { type ElfFile, findSection, parseElf, sectionBytes } from './elf-file.js';
import { ImportCollector, type ModuleImports } from './imports.js';
import { modinfoName, parseModinfo } from './modinfo.js';
import { kernelModuleName, moduleNameFromPath } from './module-name.js';
import { readModuleBuildId } from './module-notes.js';
import { readExports, readSymbols } from './symbols.js';
import type { ModuleInfo } from './types.js';
import { eachVersion, readVersions } from './versions.js';

/** Appended after the signature by scripts/sign-file.c (MODULE_SIG_STRING in include/linux/module_signature.h). */
const SIGNATURE_MARKER = new TextEncoder().encode('~Module signature appended~\n');

/**
 * Reads everything klpm needs from one uncompressed module file. Throws InputError naming `path` and
 * an offset for anything truncated or corrupt.
 */
export function readModule(bytes: Uint8Array, path: string): ModuleInfo {
  return readModuleElf(parseElf(bytes, path));
}

/**
 * What `depmod -e` looks at, and no more (no modinfo beyond the name, no notes, no list of every
 * symbol): well under half the work of readModuleElf over a tree of thousands of modules.
 */
export function readModuleImportsElf(elf: ElfFile): ModuleImports {
  const modinfoSection = findSection(elf, '.modinfo');
  const name = modinfoSection === undefined ? undefined : modinfoName(sectionBytes(elf, modinfoSection));
  const collector = new ImportCollector();
  eachVersion(elf, collector.version);
  const exports = readExports(elf, collector.undefinedSymbol);
  return {
    path: elf.source,
    name: moduleName(name, elf.source),
    imports: collector.finish(),
    exports: exports.map((exp) => ({ name: exp.name, crc: exp.crc })),
  };
}

const moduleName = (name: string | undefined, path: string) =>
  name === undefined || name === '' ? moduleNameFromPath(path) : kernelModuleName(name);

/** readModule of a file already parsed (a caller reading it in parts parses it once). */
export function readModuleElf(elf: ElfFile): ModuleInfo {
  const path = elf.source;
  const modinfoSection = findSection(elf, '.modinfo');
  const modinfo = modinfoSection === undefined ? {} : parseModinfo(sectionBytes(elf, modinfoSection));
  const first = (key: string) => modinfo[key]?.[0];
  const name = first('name');
  const symbols = readSymbols(elf);
  return {
    path,
    name: moduleName(name, path),
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
    buildId: readModuleBuildId(elf),
    signed: hasSignature(elf),
  };
}

const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const READ_SECTIONS = new Set([
  '.modinfo',
  '__versions',
  '__version_ext_crcs',
  '__version_ext_names',
  '__ksymtab_strings',
]);

/**
 * The byte ranges readModule looks at beyond the ELF header, the section headers and the section
 * name table: a caller holding a large file may read only these into a zero-filled buffer of the
 * file's size (what depmod gets from mmap). `elf` is parsed from a buffer holding at least the
 * header, the section headers and the name table.
 */
export function moduleRanges(elf: ElfFile): Array<{ offset: number; length: number }> {
  const ranges: Array<{ offset: number; length: number }> = [];
  const add = (index: number) => {
    const section = elf.sections[index];
    if (section !== undefined && section.size > 0)
      ranges.push({ offset: section.offset, length: section.size });
  };
  for (const section of elf.sections) {
    if (READ_SECTIONS.has(section.name) || section.name.startsWith('__kcrctab') || section.type === SHT_NOTE)
      add(section.index);
    if (section.type === SHT_SYMTAB) {
      add(section.index);
      add(section.link);
    }
  }
  const tail = Math.min(SIGNATURE_MARKER.length, elf.bytes.length);
  ranges.push({ offset: elf.bytes.length - tail, length: tail });
  return ranges;
}

/** The file ends with the marker scripts/sign-file.c appends after a module signature. */
export function hasSignature(elf: ElfFile): boolean {
  const { bytes } = elf;
  if (bytes.length < SIGNATURE_MARKER.length) return false;
  const start = bytes.length - SIGNATURE_MARKER.length;
  for (let i = 0; i < SIGNATURE_MARKER.length; i++)
    if (bytes[start + i] !== SIGNATURE_MARKER[i]) return false;
  return true;
}
