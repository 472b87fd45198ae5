import { mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importListOf, NO_CRC } from '../../../src/elf/index.js';
import { checkModuleFiles } from '../../../src/host/modules/module-check.js';
import { readModuleFiles, readModuleImportsFile } from '../../../src/host/modules/module-files.js';
import { ModuleImportsCache } from '../../../src/host/modules/module-imports-cache.js';
import { checkModules, parseSymvers } from '../../../src/kabi/index.js';
import { writeModule } from '../../support/elf-writer.js';

const module = (i: number, extra: { exports?: Array<{ name: string; crc: number }> } = {}) =>
  writeModule({
    modinfo: [`name=m${i}`, 'license=GPL', `description=module ${i}`],
    versions: [
      { name: 'printk', crc: 0xffffffff - i },
      { name: `s${i}`, crc: i },
      { name: `e${i + 1}`, crc: (i + 1) * 3 },
    ],
    imports: [{ name: 'printk' }, { name: `w${i}`, weak: true }, { name: `e${i + 1}` }, { name: 'gone' }],
    exports: [
      { name: `e${i}`, crc: i * 3, gpl: true },
      { name: `n${i}`, gpl: false },
      ...(extra.exports ?? []).map((exp) => ({ ...exp, gpl: false })),
    ],
  });

function tree(count: number, make = module) {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-module-check-'));
  const paths = Array.from({ length: count }, (_, i) => join(dir, `m${i}.ko`));
  for (const [i, path] of paths.entries()) writeFileSync(path, make(i));
  return paths;
}

// printk matches module 0 only; s<i> are unknown; e<i+1> comes from the next module, the last one's is unknown
const symvers = parseSymvers(
  [`0xffffffff\tprintk\tvmlinux\tEXPORT_SYMBOL`, `0x00000005\tkfree\tvmlinux\tEXPORT_SYMBOL`].join('\n'),
  'Module.symvers',
);

// what depmod -e looks at, taken from the full reader's answer
const importsOf = (modules: Awaited<ReturnType<typeof readModuleFiles>>) =>
  modules.map((m) => ({
    path: m.path,
    name: m.name,
    imports: importListOf(m),
    exports: m.exports.map((exp) => ({ name: exp.name, crc: exp.crc })),
  }));

const expectedFor = async (paths: string[]) => checkModules(symvers, await readModuleFiles(paths));

describe('reading what depmod -e looks at', () => {
  it('gives the full reader’s imports and exports', async () => {
    const paths = tree(4);
    const full = importsOf(await readModuleFiles(paths));
    expect(full[1]!.exports.find((exp) => exp.name === 'n1')!.crc).toBeUndefined();
    // printk, e2, gone (no __versions entry: NO_CRC, which kmp check compares as 0), then s1 from
    // __versions alone; w1 is weak
    expect(full[1]!.imports).toEqual({
      names: ['printk', 'e2', 'gone', 's1'],
      crcs: [0xfffffffe, 6, NO_CRC, 1],
    });
    for (const [i, path] of paths.entries()) expect(await readModuleImportsFile(path)).toEqual(full[i]);
  });
});

describe('checkModuleFiles', () => {
  it('answers as checkModules over the full reader’s symbols, cold and from the cache', async () => {
    const paths = tree(6);
    const expected = await expectedFor(paths);
    expect(expected.problemCount).toBeGreaterThan(6);
    expect(await checkModuleFiles(paths, symvers, undefined)).toEqual(expected);
    const cacheDir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-dir-'));
    expect(await checkModuleFiles(paths, symvers, cacheDir)).toEqual(expected);
    expect(readdirSync(cacheDir)).toEqual(['module-imports-v2.json']);
    expect(await checkModuleFiles(paths, symvers, cacheDir)).toEqual(expected);
  });

  it('falls back to the whole set when a module exports a kernel symbol with another CRC', async () => {
    const paths = tree(3, (i) => module(i, i === 2 ? { exports: [{ name: 'printk', crc: 7 }] } : {}));
    const expected = await expectedFor(paths);
    // module 0 wanted the kernel's printk, which module 2 replaced
    expect(expected.modules[0]!.problems).toContainEqual({
      symbol: 'printk',
      kind: 'crc',
      wanted: 0xffffffff,
      found: 7,
    });
    expect(await checkModuleFiles(paths, symvers, undefined)).toEqual(expected);
  });

  it('throws the first bad file in path order', async () => {
    const paths = tree(4);
    writeFileSync(paths[1]!, 'not an elf file at all, but long enough for a header........................');
    writeFileSync(paths[3]!, '');
    await expect(checkModuleFiles(paths, symvers, undefined)).rejects.toThrow(
      `${paths[1]}: offset 0x0: not an ELF file`,
    );
  });
});

describe('module symbols cache', () => {
  it('reads a file again when its mtime or size changed, and keeps other trees’ entries', async () => {
    const paths = tree(3);
    const other = tree(2);
    const cacheDir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-dir-'));
    await checkModuleFiles(other, symvers, cacheDir);
    await checkModuleFiles(paths, symvers, cacheDir);
    writeFileSync(paths[0]!, module(7));
    utimesSync(paths[1]!, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const cache = await ModuleImportsCache.load(cacheDir);
    expect(cache.get(paths[0]!, statSync(paths[0]!))).toBeUndefined();
    expect(cache.get(paths[1]!, statSync(paths[1]!))).toBeUndefined();
    expect(cache.get(paths[2]!, statSync(paths[2]!))).toEqual(await readModuleImportsFile(paths[2]!));
    expect(await checkModuleFiles(paths, symvers, cacheDir)).toEqual(await expectedFor(paths));
    const again = await ModuleImportsCache.load(cacheDir);
    expect(again.get(paths[0]!, statSync(paths[0]!))?.name).toBe('m7');
    for (const path of other)
      expect(again.get(path, statSync(path))).toEqual(await readModuleImportsFile(path));
  });

  it('ignores a corrupt cache file', async () => {
    const paths = tree(2);
    const cacheDir = mkdtempSync(join(tmpdir(), 'klpm-symbols-cache-dir-'));
    for (const junk of ['{', '{"strings":[],"files":[["x"]]}', 'null']) {
      writeFileSync(join(cacheDir, 'module-imports-v2.json'), junk);
      expect((await ModuleImportsCache.load(cacheDir)).get(paths[0]!, statSync(paths[0]!))).toBeUndefined();
      expect(await checkModuleFiles(paths, symvers, cacheDir)).toEqual(await expectedFor(paths));
    }
  });
});
