import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModuleFiles } from '../../src/host/module-files.js';
import { readModuleSymbolsFiles } from '../../src/host/module-symbols-cache.js';
import { writeModule } from '../support/elf-writer.js';

const module = (i: number) =>
  writeModule({
    modinfo: [`name=m${i}`],
    versions: [
      { name: 'printk', crc: 0xffffffff - i },
      { name: `s${i}`, crc: i },
    ],
    imports: [{ name: 'printk' }, { name: `w${i}`, weak: true }],
    exports: [
      { name: `e${i}`, crc: i * 3, gpl: true },
      { name: `n${i}`, gpl: false },
    ],
  });

function tree(count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-'));
  const paths = Array.from({ length: count }, (_, i) => join(dir, `m${i}.ko`));
  for (const [i, path] of paths.entries()) writeFileSync(path, module(i));
  return paths;
}

// what depmod -e looks at, taken from the full reader's answer
const symbolsOf = (modules: Awaited<ReturnType<typeof readModuleFiles>>) =>
  modules.map((m) => ({
    path: m.path,
    name: m.name,
    versions: m.versions,
    undefinedSymbols: m.undefinedSymbols,
    exports: m.exports.map((exp) => ({ name: exp.name, crc: exp.crc })),
  }));

describe('module symbols cache', () => {
  it('gives the full reader’s symbols cold, and the same again from the cache', async () => {
    const paths = tree(5);
    const cacheDir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-dir-'));
    const expected = symbolsOf(await readModuleFiles(paths));
    expect(expected[1]!.exports.find((exp) => exp.name === 'n1')!.crc).toBeUndefined();
    expect(await readModuleSymbolsFiles(paths, cacheDir)).toEqual(expected);
    expect(readdirSync(cacheDir)).toEqual(['module-symbols-v1.json']);
    expect(await readModuleSymbolsFiles(paths, cacheDir)).toEqual(expected);
  });

  it('reads a file again when its mtime or size changed, and keeps other trees’ entries', async () => {
    const paths = tree(3);
    const other = tree(2);
    const cacheDir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-dir-'));
    await readModuleSymbolsFiles(other, cacheDir);
    await readModuleSymbolsFiles(paths, cacheDir);
    writeFileSync(paths[0]!, module(7));
    utimesSync(paths[1]!, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await readModuleSymbolsFiles(paths, cacheDir)).toEqual(symbolsOf(await readModuleFiles(paths)));
    expect((await readModuleSymbolsFiles(paths, cacheDir))[0]!.name).toBe('m7');
    expect(await readModuleSymbolsFiles(other, cacheDir)).toEqual(symbolsOf(await readModuleFiles(other)));
  });

  it('ignores a corrupt cache file', async () => {
    const paths = tree(2);
    const cacheDir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-dir-'));
    for (const junk of ['{', '{"strings":[],"files":[["x"]]}', 'null']) {
      writeFileSync(join(cacheDir, 'module-symbols-v1.json'), junk);
      expect(await readModuleSymbolsFiles(paths, cacheDir)).toEqual(symbolsOf(await readModuleFiles(paths)));
    }
  });
});
