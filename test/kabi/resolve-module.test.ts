import { describe, expect, it } from 'vitest';
import type { ModuleInfo } from '../../src/elf/types.js';
import { buildFromDescription } from '../../src/host/kmp/state.js';
import { resolveModuleOf } from '../../src/kabi/resolve-module.js';
import { moduleInfo } from '../support/kmp-builders.js';

describe('resolveModuleOf', () => {
  it('drops weak undefined symbols and keeps CRCs of versioned imports', () => {
    const info = moduleInfo('foo', {
      exports: ['foo_op:0a'],
      imports: ['printk:12', 'bar_op'],
      weak: ['maybe'],
    });
    expect(resolveModuleOf(info, 'extra/foo.ko')).toEqual({
      name: 'foo',
      file: 'extra/foo.ko',
      exports: [{ name: 'foo_op', crc: 0x0a }],
      imports: [
        { name: 'printk', crc: 0x12 },
        { name: 'bar_op', crc: undefined },
      ],
    });
  });
});

describe('buildFromDescription with a ModuleReader', () => {
  it('reads modules without exports/imports in kmp.json through the reader, from the build directory', async () => {
    const asked: string[] = [];
    const reader = async (path: string): Promise<ModuleInfo> => {
      asked.push(path);
      return moduleInfo('foo', { imports: ['printk:12'] });
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
      { name: 'foo', file: 'foo.ko', exports: [], imports: [{ name: 'printk', crc: 0x12 }] },
    ]);
    expect(build.flavor).toBe('amd64');
  });
});
