/**
 * Names in code-unit order, the same in every locale: resolution sorts packages, modules and kernels
 * this way so that its answer never depends on input order or the machine's locale.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A CRC as Module.symvers writes it: `0x` and 8 hex digits. */
export function crcHex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}
