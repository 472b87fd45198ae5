import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readModule } from '../../../src/elf/index.js';
import { listModuleFiles, readModuleFile, readModuleFiles } from '../../../src/host/modules/module-files.js';
import { InputError } from '../../../src/input/index.js';
import { writeModule } from '../../support/elf-writer.js';

const spec = {
  modinfo: ['name=sparse', 'depends=a'],
  versions: [{ name: 'printk', crc: 0x11 }],
  imports: [{ name: 'printk' }],
  exports: [{ name: 'e', crc: 0x22, gpl: true }],
  buildId: [1, 2, 3, 4],
  signed: true,
};

describe('module files', () => {
  it('reads only the needed ranges of an uncompressed module and gets what a full read gets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-module-files-'));
    for (const [is64, littleEndian] of [
      [true, true],
      [false, false],
    ] as const) {
      const bytes = writeModule({ ...spec, is64, littleEndian });
      const path = join(dir, `m${is64}.ko`);
      writeFileSync(path, bytes);
      expect(await readModuleFile(path)).toEqual(readModule(bytes, path));
    }
  });

  it('lists module files of every compression in directories, sorted, and reads them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-module-files-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.ko.gz'), gzipSync(writeModule(spec)));
    writeFileSync(join(dir, 'a.ko'), writeModule(spec));
    writeFileSync(join(dir, 'notes.txt'), 'not a module');
    const files = await listModuleFiles([dir]);
    expect(files).toEqual([join(dir, 'a.ko'), join(dir, 'sub', 'b.ko.gz')]);
    const [a, b] = await readModuleFiles(files);
    expect({ ...b, path: a!.path }).toEqual(a);
  });

  const xz = spawnSync('xz', ['--version']).status === 0;
  it.skipIf(!xz)('reads a .ko.xz made by the real xz tool, and names a corrupt one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-module-files-'));
    const bytes = writeModule(spec);
    const packed = spawnSync('xz', ['-c', '--check=crc32'], { input: bytes }).stdout;
    writeFileSync(join(dir, 'm.ko.xz'), packed);
    expect(await readModuleFile(join(dir, 'm.ko.xz'))).toEqual(readModule(bytes, join(dir, 'm.ko.xz')));
    const corrupt = Uint8Array.from(packed);
    corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0xff;
    writeFileSync(join(dir, 'bad.ko.xz'), corrupt);
    await expect(readModuleFile(join(dir, 'bad.ko.xz'))).rejects.toBeInstanceOf(InputError);
  });
});
