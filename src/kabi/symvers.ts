import { InputError } from '../input/index.js';
import type { Symvers, SymversEntry } from './types.js';

const CRC = /^0x[0-9a-fA-F]{1,16}$/;

/**
 * Parses Module.symvers (or an uncompressed symvers-<ver>.gz): one export per line,
 * `crc<TAB>symbol<TAB>module<TAB>export type[<TAB>namespace]` as scripts/mod/modpost.c writes it.
 * Kernels before 5.4 write 4 fields; 5.4 alone wrote the namespace third
 * (`crc symbol namespace module export-type`), recognised by where the EXPORT_ field stands. A later
 * line for the same symbol replaces an earlier one, as depmod's symbol hash does.
 */
export function parseSymvers(text: string, source: string): Symvers {
  const entries = new Map<string, SymversEntry>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const entry = parseLine(line, source, index + 1);
    entries.set(entry.symbol, entry);
  }
  return { entries };
}

function parseLine(line: string, source: string, lineNumber: number): SymversEntry {
  const fields = line.split('\t');
  const at = `line ${lineNumber}`;
  if (fields.length < 4 || fields.length > 5)
    throw new InputError(
      `expected 4 or 5 tab-separated fields (crc, symbol, module, export type, namespace), found ${fields.length}`,
      source,
      at,
    );
  const [crcText, symbol] = fields as [string, string];
  if (!CRC.test(crcText))
    throw new InputError(`bad crc '${crcText}': expected 0x followed by up to 16 hex digits`, source, at);
  if (symbol === '') throw new InputError('empty symbol name', source, at);
  let module: string;
  let exportType: string;
  let namespace: string | undefined;
  if (fields[3]!.startsWith('EXPORT_')) {
    module = fields[2]!;
    exportType = fields[3]!;
    namespace = fields[4];
  } else if (fields.length === 5 && fields[4]!.startsWith('EXPORT_')) {
    namespace = fields[2];
    module = fields[3]!;
    exportType = fields[4]!;
  } else {
    throw new InputError(`no export type (EXPORT_SYMBOL...) in field 4 or 5`, source, at);
  }
  if (module === '') throw new InputError('empty module field', source, at);
  return {
    crc: Number.parseInt(crcText.slice(-8).replace(/^x/, ''), 16) >>> 0,
    symbol,
    module,
    exportType,
    namespace: namespace === '' ? undefined : namespace,
  };
}

/**
 * The kernel's own exports with their CRCs: the `vmlinux` lines of its symvers (as
 * depmod_load_symvers in kmod's tools/depmod.c); the in-tree modules' exports come from their files.
 */
export function vmlinuxExports(symvers: Symvers): Map<string, number> {
  const exports = new Map<string, number>();
  for (const entry of symvers.entries.values())
    if (entry.module === 'vmlinux') exports.set(entry.symbol, entry.crc);
  return exports;
}
