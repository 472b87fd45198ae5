import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunningBuildId } from '../../../src/host/livepatch/build-id.js';

const root = mkdtempSync(join(tmpdir(), 'klpm-build-id-'));

let realNotes: Buffer | undefined;
try {
  realNotes = existsSync('/sys/kernel/notes') ? readFileSync('/sys/kernel/notes') : undefined;
} catch {
  realNotes = undefined;
}

describe('readRunningBuildId', () => {
  it('reads Xen build ID text from sys/hypervisor/properties/buildid', async () => {
    mkdirSync(join(root, 'sys/hypervisor/properties'), { recursive: true });
    writeFileSync(join(root, 'sys/hypervisor/properties/buildid'), 'ABCDEF0123\n');
    expect(await readRunningBuildId(root, 'xen')).toBe('abcdef0123');
  });

  it('is undefined when nothing can be read', async () => {
    expect(await readRunningBuildId(join(root, 'missing'), 'kernel')).toBeUndefined();
    expect(await readRunningBuildId(join(root, 'missing'), 'xen')).toBeUndefined();
  });

  it.skipIf(realNotes === undefined || realNotes.length === 0)(
    'finds a 20-byte GNU build ID in this machine’s /sys/kernel/notes (skipped: not readable here)',
    async () => {
      const id = await readRunningBuildId('/', 'kernel');
      expect(id).toMatch(/^[0-9a-f]{40}$/);
      // the raw bytes hold the ID right after a GNU note header of type 3
      expect(realNotes!.includes(Buffer.from(id!, 'hex'))).toBe(true);
    },
  );
});
