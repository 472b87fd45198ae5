import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { symversPlaces } from '../../../src/host/index.js';
import { packageDir, tempRoot } from '../../support/kmp-root.js';
import { runCli } from '../../support/run-cli.js';

const K = '6.1.0-1-amd64';
let root: string;
beforeEach(() => {
  root = tempRoot();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function refused(args: string[], message: string): Promise<void> {
  const run = await runCli(args);
  expect(run.stderr).toBe(`klpm: ${message}\n`);
  expect(run.code).toBe(2);
}

describe('klpm kmp refuses, naming the file', () => {
  it('add-kernel of a kernel with no module directory', async () => {
    await refused(
      ['kmp', 'add-kernel', K, '--root', root],
      `${join(root, 'lib/modules', K)}: kernel ${K} has no module directory: install the kernel first, or check --root`,
    );
  });

  it('add-kernel of a kernel with no symvers anywhere', async () => {
    mkdirSync(join(root, 'lib/modules', K), { recursive: true });
    await refused(
      ['kmp', 'add-kernel', K, '--root', root],
      `${join(root, 'lib/modules', K)}: no symvers for kernel ${K} in ${symversPlaces(K).join(', ')}: install the kernel's headers (or devel) package, or give --symvers FILE`,
    );
  });

  it('remove-kernel of a kernel never registered', async () => {
    await refused(
      ['kmp', 'remove-kernel', K, '--root', root],
      `KERNEL: kernel ${K} is not registered: see klpm kmp status`,
    );
  });

  it('add of a package whose kmp.json names a module file that is not there', async () => {
    const dir = packageDir(join(root, 'tmp'), 'acme-kmp', '1.0-1', K, [{ name: 'acme' }]);
    rmSync(join(dir, 'acme.ko'));
    await refused(
      ['kmp', 'add', dir, '--root', root],
      `${join(dir, 'acme.ko')}: module file named in kmp.json is missing`,
    );
  });

  it('a registration that is not JSON: nothing is changed', async () => {
    const dir = join(root, 'var/lib/klpm/kmp/kernels');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${K}.json`), 'not json {');
    await refused(
      ['kmp', 'remove-kernel', K, '--root', root],
      `${join(dir, `${K}.json`)}: could not read it: not a klpm kernel registration: run klpm kmp add-kernel again; nothing was changed`,
    );
  });
});
