import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest's global setup: every temporary directory a test makes (through os.tmpdir(), which reads
 * TMPDIR) lands under one directory of this run, removed when the run ends, whether or not each
 * test cleaned up after itself. World-writable and sticky like /tmp, because some tests run klpm as
 * an unprivileged user, and it makes its own temporary directories there.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'klpm-test-run-'));
  chmodSync(root, 0o1777);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
