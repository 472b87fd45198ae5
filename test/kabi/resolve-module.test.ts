import { describe, expect, it } from 'vitest';
import type { ModuleInfo } from '../../src/elf/types.js';
import { buildFromDescription } from '../../src/host/kmp/state.js';
import { importsOf } from '../../src/kabi/resolve-module.js';
import { moduleInfo } from '../support/kmp-builders.js';

describe('importsOf', () => {
  it('drops weak undefined symbols, keeps CRCs of versioned imports and adds unused __versions entries', () => {
    const info = {
      ...moduleInfo('foo', { exports: ['foo_op:0a'], imports: ['printk:12', 'bar_op'], weak: ['maybe'] }),
      // module_layout is only in __versions, as every module built with modversions before 6.3 has it;
      // a second entry of a name is ignored, as kmod_elf_crc_find takes the first
      versions: [
        { name: 'printk', crc: 0x12 },
        { name: 'module_layout', crc: 0x77 },
        { name: 'printk', crc: 0x99 },
        { name: 'maybe', crc: 0x5 },
      ],
    };
    expect(importsOf(info)).toEqual([
      { name: 'printk', crc: 0x12 },
      { name: 'bar_op', crc: undefined },
      { name: 'module_layout', crc: 0x77 },
    ]);
  });
});

describe('buildFromDescription with a ModuleReader', () => {
  it('reads modules without exports/imports in kmp.json through the reader, from the build directory', async () => {
    const asked: string[] = [];
    const reader = async (path: string): Promise<ModuleInfo> => {
      asked.push(path);
      return moduleInfo('foo', { imports: ['printk:12'], path });
    };
    const build = await buildFromDescription(
      {
        package: 'foo',
        version: '1.0-1',
        kernel: '6.1.0-47-amd64',
        bootCritical: false,
        modules: [{ file: 'foo.ko' }],
      },
      '/store/foo/1.0-1/6.1.0-47-amd64',
      reader,
    );
    expect(asked).toEqual(['/store/foo/1.0-1/6.1.0-47-amd64/foo.ko']);
    expect(build.modules).toEqual([
      {
        name: 'foo',
        path: 'foo.ko',
        exports: [],
        versions: [{ name: 'printk', crc: 0x12 }],
        undefinedSymbols: [{ name: 'printk', weak: false }],
      },
    ]);
    expect(build.flavor).toBe('amd64');
  });
});
