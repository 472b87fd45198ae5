import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listModuleFiles,
  readInitrdModules,
  readModuleFiles,
  readSymversFile,
} from '../../../src/host/index.js';
import { InputError } from '../../../src/input/index.js';
import { hasCommand } from '../../support/initramfs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'klpm-module-errors-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

describe('module files', () => {
  it('a missing path', async () => {
    const path = join(dir, 'missing.ko');
    expect(await failure(() => listModuleFiles([path]))).toBe(
      `${path}: no such file or directory: expected a module file or a directory of modules`,
    );
  });

  it('corrupt xz data in a .ko.xz', async () => {
    const path = join(dir, 'bad.ko.xz');
    writeFileSync(path, Uint8Array.from([...XZ_MAGIC, ...new Array(64).fill(0x41)]));
    expect(await failure(() => readModuleFiles([path], (elf) => elf.sections.length))).toMatch(
      new RegExp(`^${path.replace(/[.]/g, '\\.')}: offset 0x0: corrupt xz data: \\S`),
    );
  });
});

describe('symvers files', () => {
  it('a missing symvers', async () => {
    const path = join(dir, 'Module.symvers');
    expect(await failure(() => readSymversFile(path))).toBe(
      `${path}: no such file: expected Module.symvers or symvers-<ver>.gz`,
    );
  });
});

describe('initramfs images', () => {
  const image = () => {
    const path = join(dir, 'initrd.img');
    writeFileSync(path, Uint8Array.from([...XZ_MAGIC, ...new Array(64).fill(0x41)]));
    return path;
  };

  it.skipIf(!hasCommand('xz'))('a corrupt xz archive, with what xz said (needs xz)', async () => {
    const path = image();
    expect(await failure(() => readInitrdModules(path, '6.1.0'))).toMatch(
      new RegExp(`^${path.replace(/[.]/g, '\\.')}: offset 0x0: corrupt xz archive \\(xz: \\S.*\\)$`),
    );
  });

  it('an xz archive with no xz to read it', async () => {
    const path = image();
    const saved = process.env.PATH;
    process.env.PATH = join(dir, 'no-bin');
    try {
      expect(await failure(() => readInitrdModules(path, '6.1.0'))).toBe(
        `${path}: offset 0x0: cannot read the initramfs's xz archive: install xz, or give --initrd-modules`,
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
