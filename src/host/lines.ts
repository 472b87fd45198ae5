import { createReadStream } from 'node:fs';
import { cannotRead } from './files.js';

/**
 * The lines of a text file, read in chunks so that a file of any size costs one chunk of memory.
 * A line is what lies between `\n`s (a `\r` before it stays: the parser decides); the text after the
 * last `\n` is a line when it is not empty. A missing or unreadable file is bad input naming it.
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  for await (const batch of readLineBatches(path)) yield* batch;
}

/**
 * readLines a chunk (about 1 MB) at a time: the lines each chunk completes, in order. A caller that
 * goes through 100,000 lines then waits on the file a hundred times, not once per line.
 */
export async function* readLineBatches(path: string): AsyncGenerator<string[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = rest === '' ? chunk : rest + chunk;
      const lines = text.split('\n');
      rest = lines.pop()!;
      if (lines.length > 0) yield lines;
    }
  } catch (error) {
    throw cannotRead(error, path);
  } finally {
    stream.destroy();
  }
  if (rest !== '') yield [rest];
}
