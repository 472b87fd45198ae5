import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModule } from '../../../src/elf/index.js';
import { readModuleFile, readModuleFiles } from '../../../src/host/modules/module-files.js';
import { decodeXzFiles } from '../../../src/host/modules/xz-batch.js';
import { InputError } from '../../../src/input/index.js';
import { writeModule } from '../../support/elf-writer.js';

const xz = spawnSync('xz', ['--version']).status === 0;
const pack = (bytes: Uint8Array, ...flags: string[]) =>
  new Uint8Array(spawnSync('xz', ['-c', '--check=crc32', ...flags], { input: bytes }).stdout);

function tree(count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-module-files-xz-'));
  const modules = Array.from({ length: count }, (_, i) =>
    writeModule({
      modinfo: [`name=m${i}`],
      versions: [{ name: `s${i}`, crc: i }],
      imports: [{ name: `s${i}` }],
      exports: [{ name: `e${i}`, crc: i * 3, gpl: i % 2 === 0 }],
      is64: i % 3 !== 0,
      littleEndian: i % 4 !== 0,
    }),
  );
  const paths = modules.map((bytes, i) => {
    const path = join(dir, `m${String(i).padStart(3, '0')}.ko.xz`);
    // a few files xz cuts differently: two streams, stream padding
    const file =
      i === 5
        ? new Uint8Array([...pack(bytes.subarray(0, 100)), ...pack(bytes.subarray(100))])
        : i === 6
          ? new Uint8Array([...pack(bytes), 0, 0, 0, 0])
          : pack(bytes);
    writeFileSync(path, file);
    return path;
  });
  return { dir, modules, paths };
}

describe.skipIf(!xz)('.ko.xz read by the native xz (skipped without xz)', () => {
  it('decodes a batch to the same bytes and leaves multi-stream and padded files to the caller', async () => {
    const { modules, paths } = tree(12);
    const got = new Map<string, Uint8Array>();
    const left = await decodeXzFiles(paths, (path, bytes) => got.set(path, bytes.slice()));
    expect(left.sort()).toEqual([paths[5], paths[6]]);
    for (const [i, path] of paths.entries())
      if (i !== 5 && i !== 6) expect(got.get(path)).toEqual(modules[i]);
  });

  it('gives every file back to the caller when xz is not installed', async () => {
    const { paths } = tree(3);
    const got: string[] = [];
    const left = await decodeXzFiles(paths, (path) => got.push(path), '/nonexistent/xz');
    expect(got).toEqual([]);
    expect(left.sort()).toEqual(paths);
  });

  it('reads the same ModuleInfo as one file at a time, in path order', async () => {
    const { modules, paths } = tree(12);
    const read = await readModuleFiles(paths);
    expect(read).toEqual(modules.map((bytes, i) => readModule(bytes, paths[i]!)));
    for (const [i, path] of paths.entries()) expect(read[i]).toEqual(await readModuleFile(path));
  });

  it('names the first corrupt file in path order even when it shares a batch with good ones', async () => {
    const { dir, paths } = tree(4);
    const bad = join(dir, 'm001.ko.xz');
    const packed = pack(writeModule({ modinfo: ['name=bad'] }));
    packed[packed.length >> 1] = packed[packed.length >> 1]! ^ 0xff;
    writeFileSync(bad, packed);
    const notElf = join(dir, 'm002.ko.xz');
    writeFileSync(notElf, pack(new TextEncoder().encode('not an elf file at all, long enough to matter')));
    const error = await readModuleFiles(paths).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(bad);
    expect(String(error)).toEqual(String(await readModuleFile(bad).catch((e: unknown) => e)));
  });
});
