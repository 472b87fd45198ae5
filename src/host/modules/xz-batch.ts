import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { compressionOf, XZ_TAIL_SIZE, xzUncompressedSize } from '../../elf/index.js';

/** Uncompressed bytes per `xz -dc` run: small enough to keep every core busy to the end. */
const BATCH_BYTES = 24 * 1024 * 1024;

interface XzFile {
  readonly path: string;
  readonly size: number;
}

/**
 * Decodes many .xz files with the native `xz -dc`, one process per core, each over a batch of files
 * whose concatenated output is cut back into files by the uncompressed sizes in their xz indexes
 * (decoding in WebAssembly on one thread is about twice as slow as xz, and xz runs beside the
 * parser). `onFile` gets each file's bytes once its whole batch decoded cleanly, valid only during
 * the call (the buffer is reused for the next batch). Returns the paths
 * left for the caller to decode one by one: files xz may not cut cleanly (several streams, padding,
 * not xz), every file of a batch xz failed on (corrupt data gets the caller's own error), and all of
 * them when `xz` is not installed.
 */
export async function decodeXzFiles(
  paths: ReadonlyArray<string>,
  onFile: (path: string, bytes: Uint8Array) => void,
  xzCommand = 'xz',
): Promise<string[]> {
  const left: string[] = [];
  const batches: XzFile[][] = [];
  let batch: XzFile[] = [];
  let batchBytes = 0;
  for (const path of paths) {
    const size = uncompressedSize(path);
    if (size === undefined) {
      left.push(path);
      continue;
    }
    batch.push({ path, size });
    batchBytes += size;
    if (batchBytes >= BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  let missing = false;
  let next = 0;
  const worker = async () => {
    // one output buffer per running xz, reused batch after batch: a fresh buffer per file (500 MB
    // over Debian's 6.12 tree) cost a second of allocation and garbage collection
    let buffer = new Uint8Array(0);
    while (next < batches.length) {
      const files = batches[next++]!;
      const total = files.reduce((sum, file) => sum + file.size, 0);
      if (buffer.length < total) buffer = new Uint8Array(total);
      const decoded = missing ? false : await decodeBatch(files, buffer.subarray(0, total), xzCommand);
      if (decoded === 'missing') missing = true;
      if (decoded !== true) {
        for (const file of files) left.push(file.path);
        continue;
      }
      let at = 0;
      for (const file of files) {
        onFile(file.path, buffer.subarray(at, at + file.size));
        at += file.size;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  return left;
}

/** The uncompressed size from the file's xz index; undefined when not a single-stream xz file. */
function uncompressedSize(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // the caller reports it
  }
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(6);
    if (readSync(fd, head, 0, 6, 0) !== 6 || compressionOf(head) !== 'xz') return undefined;
    const length = Math.min(size, XZ_TAIL_SIZE);
    const tail = new Uint8Array(length);
    if (readSync(fd, tail, 0, length, size - length) !== length) return undefined;
    return xzUncompressedSize(tail, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * One `xz -dc` over the batch into `buffer` (exactly the batch's total size): true when xz
 * succeeded and filled it exactly, as the sizes from the indexes said.
 */
function decodeBatch(
  files: ReadonlyArray<XzFile>,
  buffer: Uint8Array,
  xzCommand: string,
): Promise<boolean | 'missing'> {
  const total = buffer.length;
  return new Promise((resolve) => {
    let filled = 0;
    let overflow = false;
    const child = spawn(xzCommand, ['-dc', '--', ...files.map((file) => file.path)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' ? 'missing' : false));
    child.stdout.on('data', (chunk: Buffer) => {
      if (filled + chunk.length > total) overflow = true;
      else buffer.set(chunk, filled);
      filled += chunk.length;
    });
    child.on('close', (code) => resolve(code === 0 && !overflow && filled === total));
  });
}
