import { decodeText } from './elf-file.js';

/**
 * `.modinfo` is a run of NUL-terminated `key=value` strings, padded with NULs (as MODULE_INFO in
 * include/linux/moduleparam.h lays it out). Returns every key with all its values, in file order.
 */
export function parseModinfo(bytes: Uint8Array): Record<string, string[]> {
  const modinfo: Record<string, string[]> = Object.create(null);
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      const entry = decodeText(bytes.subarray(start, end));
      const eq = entry.indexOf('=');
      if (eq > 0) {
        const key = entry.slice(0, eq);
        const values = modinfo[key] ?? [];
        values.push(entry.slice(eq + 1));
        modinfo[key] = values;
      }
    }
    start = end + 1;
  }
  return modinfo;
}

const NAME_KEY = new TextEncoder().encode('name=');

/** The first `name=` value of `.modinfo` without parsing the rest (what a symbols-only read needs). */
export function modinfoName(bytes: Uint8Array): string | undefined {
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    if (end - start >= NAME_KEY.length && NAME_KEY.every((byte, i) => bytes[start + i] === byte))
      return decodeText(bytes.subarray(start + NAME_KEY.length, end));
    start = end + 1;
  }
  return undefined;
}
