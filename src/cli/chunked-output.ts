/**
 * Output written in chunks of about `size` characters: a long listing (a fleet's JSON lines) never
 * becomes one giant string, nor a write per line. With `drained` (CliContext.drained), each chunk
 * waits until the stream has taken the previous ones: a slow reader (a pipe) holds klpm back
 * instead of making it queue the whole listing in memory.
 */
export function chunkedOutput(
  write: (text: string) => void,
  drained: (() => Promise<void>) | undefined = undefined,
  size = 1 << 16,
) {
  let parts: string[] = [];
  let length = 0;
  const flush = async (): Promise<void> => {
    if (length === 0) return;
    write(parts.join(''));
    parts = [];
    length = 0;
    if (drained !== undefined) await drained();
  };
  return {
    /** adds `text`; resolves at once unless a chunk went out (then once the stream has drained) */
    write(text: string): Promise<void> | undefined {
      parts.push(text);
      length += text.length;
      return length >= size ? flush() : undefined;
    },
    flush,
  };
}
