import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listModuleFiles } from '../../src/host/modules/module-files.js';
import { writeModule } from '../support/elf-writer.js';
import { runCli } from '../support/run-cli.js';

/** A module tree with one good module, and the symvers it was built against. */
function tree() {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-never-hang-'));
  writeFileSync(join(dir, 'Module.symvers'), '0x00000011\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n');
  mkdirSync(join(dir, 'mods/sub'), { recursive: true });
  writeFileSync(
    join(dir, 'mods/sub/good.ko'),
    writeModule({
      modinfo: ['name=good'],
      versions: [{ name: 'printk', crc: 0x11 }],
      imports: [{ name: 'printk' }],
    }),
  );
  return dir;
}

describe('walks over module trees', () => {
  it('do not follow a symlink loop or a link to /proc', async () => {
    const dir = tree();
    symlinkSync('..', join(dir, 'mods/sub/up'));
    symlinkSync(join(dir, 'mods'), join(dir, 'mods/loop'));
    symlinkSync('/proc', join(dir, 'mods/proc'));
    expect(await listModuleFiles([join(dir, 'mods')])).toEqual([join(dir, 'mods/sub/good.ko')]);
  });
});

describe('a cache that cannot be read or written', () => {
  const check = (dir: string, cache: string) =>
    runCli([
      'kmp',
      'check',
      '--symvers',
      join(dir, 'Module.symvers'),
      '--cache-dir',
      cache,
      join(dir, 'mods'),
    ]);

  it('is a one-line warning and the answer is still printed', async () => {
    const dir = tree();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const run = await check(dir, file);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 module checked');
    // one line for the read, one for the write, no stack
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^klpm: warning: cannot (read|write) the cache /);
  });

  it('holding bytes klpm did not write is a warning, then rewritten', async () => {
    const dir = tree();
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    writeFileSync(join(cache, 'module-imports-v2.json'), '{"strings": 5');
    const run = await check(dir, cache);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 module checked');
    expect(run.stderr).toMatch(/^klpm: warning: the cache [^\n]* is not one klpm wrote[^\n]*\n$/);
    expect((await check(dir, cache)).stderr).toBe('');
  });
});
