import { closeSync, constants, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The most of the kernel log read after a marker (bytes): a bound on a chatty kernel. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Writes a marker line into the kernel log (`<root>/dev/kmsg`: on a live kernel a write adds a
 * record; on a fake root it is a file). The apply's log is what follows the last marker.
 */
export function writeKmsgMarker(root: string, marker: string): boolean {
  try {
    writeFileSync(join(root, 'dev/kmsg'), `${marker}\n`, { flag: 'a' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The kernel log lines after the last `marker`, without the record prefix (`pri,seq,usec,flags;`)
 * and the continuation lines of /dev/kmsg. /dev/kmsg is read without blocking: each read returns
 * one record, and EAGAIN says there is no more; a file ends at its end.
 */
export function readKmsgAfter(root: string, marker: string): string[] {
  let fd: number;
  try {
    fd = openSync(join(root, 'dev/kmsg'), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return [];
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(64 * 1024);
  try {
    while (total < MAX_BYTES) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        // EPIPE: records were overwritten while reading; go on with the next one
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') continue;
        break;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      total += n;
    }
  } finally {
    closeSync(fd);
  }
  const lines = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(' '))
    .map((line) => line.replace(/^\d+,\d+,\d+,[^;]*;/, ''));
  const at = lines.lastIndexOf(marker);
  return at === -1 ? [] : lines.slice(at + 1);
}
