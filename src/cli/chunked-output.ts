/**
 * Output written in chunks of about `size` characters: a long listing (a fleet's JSON lines) never
 * becomes one giant string, nor a write per line.
 */
export function chunkedOutput(write: (text: string) => void, size = 1 << 16) {
  let parts: string[] = [];
  let length = 0;
  return {
    write(text: string): void {
      parts.push(text);
      length += text.length;
      if (length >= size) this.flush();
    },
    flush(): void {
      if (length === 0) return;
      write(parts.join(''));
      parts = [];
      length = 0;
    },
  };
}
