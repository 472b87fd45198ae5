import { describe, expect, it } from 'vitest';
import { chunkedOutput } from '../../src/cli/chunked-output.js';

describe('chunkedOutput', () => {
  it('gathers small writes into chunks of about the size asked', async () => {
    const chunks: string[] = [];
    const out = chunkedOutput((t) => chunks.push(t), undefined, 10);
    for (const word of ['abc', 'def', 'ghij', 'k']) await out.write(word);
    await out.flush();
    expect(chunks).toEqual(['abcdefghij', 'k']);
  });

  it('waits for the stream to drain after each chunk it hands on, so a slow reader holds it back', async () => {
    const chunks: string[] = [];
    let release: () => void = () => {};
    let waiting = 0;
    const drained = () =>
      new Promise<void>((done) => {
        waiting++;
        release = done;
      });
    const out = chunkedOutput((t) => chunks.push(t), drained, 4);
    expect(out.write('ab')).toBeUndefined();
    const sent = out.write('cd');
    expect(sent).toBeInstanceOf(Promise);
    let resolved = false;
    void sent!.then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(chunks).toEqual(['abcd']);
    expect(waiting).toBe(1);
    expect(resolved).toBe(false);
    release();
    await sent;
    expect(resolved).toBe(true);
  });
});
