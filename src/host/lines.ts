import { createReadStream } from 'node:fs';
import { cannotRead } from './files.js';

/**
 * The lines of a text file, read in chunks so that a file of any size costs one chunk of memory.
 * A line is what lies between `\n`s (a `\r` before it stays: the parser decides); the text after the
 * last `\n` is a line when it is not empty. A missing or unreadable file is bad input naming it.
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      const text = rest === '' ? chunk : rest + chunk;
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', start)) {
        yield text.slice(start, at);
        start = at + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    throw cannotRead(error, path);
  } finally {
    stream.destroy();
  }
  if (rest !== '') yield rest;
}
