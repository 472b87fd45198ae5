import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeModule } from '../support/elf-writer.js';
import { runCli } from '../support/run-cli.js';

function tree() {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-kmp-check-'));
  writeFileSync(join(dir, 'Module.symvers'), '0x00000011\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n');
  writeFileSync(join(dir, 'symvers.gz'), gzipSync('0x00000012\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n'));
  mkdirSync(join(dir, 'mods'));
  writeFileSync(
    join(dir, 'mods', 'good.ko'),
    writeModule({
      modinfo: ['name=good'],
      versions: [{ name: 'printk', crc: 0x11 }],
      imports: [{ name: 'printk' }],
    }),
  );
  writeFileSync(
    join(dir, 'mods', 'bad.ko.gz'),
    gzipSync(
      writeModule({
        modinfo: ['name=bad'],
        versions: [{ name: 'printk', crc: 0x11 }],
        imports: [{ name: 'printk' }, { name: 'missing' }],
      }),
    ),
  );
  writeFileSync(join(dir, 'broken.ko'), new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]));
  return dir;
}

describe('klpm kmp check', () => {
  it("prints depmod's warnings and a summary, exit 1", async () => {
    const dir = tree();
    const run = await runCli(['kmp', 'check', '--symvers', join(dir, 'Module.symvers'), join(dir, 'mods')]);
    expect(run.stdout).toBe(
      `${join(dir, 'mods', 'bad.ko.gz')} needs unknown symbol missing\n` +
        `2 modules checked against ${join(dir, 'Module.symvers')}: 1 incompatible (1 unknown symbols, 0 CRC mismatches)\n`,
    );
    expect(run.code).toBe(1);
  });

  it('reads a gzip symvers and prints JSON per module', async () => {
    const dir = tree();
    const run = await runCli([
      'kmp',
      'check',
      '--json',
      '--symvers',
      join(dir, 'symvers.gz'),
      join(dir, 'mods', 'good.ko'),
    ]);
    expect(JSON.parse(run.stdout)).toEqual({
      symvers: join(dir, 'symvers.gz'),
      modules: [
        {
          path: join(dir, 'mods', 'good.ko'),
          name: 'good',
          ok: false,
          problems: [{ symbol: 'printk', kind: 'crc', wanted: '0x00000011', found: '0x00000012' }],
        },
      ],
      summary: { modules: 1, modulesWithProblems: 1, unknownSymbols: 0, crcMismatches: 1 },
    });
    expect(run.code).toBe(1);
  });

  it('exits 0 when every module is compatible, and reuses its cache', async () => {
    const dir = tree();
    const args = [
      'kmp',
      'check',
      '--cache-dir',
      join(dir, 'cache'),
      '--symvers',
      join(dir, 'Module.symvers'),
      join(dir, 'mods', 'good.ko'),
    ];
    expect((await runCli(args)).code).toBe(0);
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/all compatible/);
  });

  it('exits 2 naming the file and offset of a corrupt module, and the line of a bad symvers', async () => {
    const dir = tree();
    const corrupt = await runCli([
      'kmp',
      'check',
      '--symvers',
      join(dir, 'Module.symvers'),
      join(dir, 'broken.ko'),
    ]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toBe(
      `klpm: ${join(dir, 'broken.ko')}: offset 0x7: file too short for an ELF header\n`,
    );
    writeFileSync(join(dir, 'bad.symvers'), 'zz\tprintk\tvmlinux\tEXPORT_SYMBOL\n');
    const symvers = await runCli(['kmp', 'check', '--symvers', join(dir, 'bad.symvers'), join(dir, 'mods')]);
    expect(symvers.code).toBe(2);
    expect(symvers.stderr).toMatch(/bad\.symvers: line 1: bad crc 'zz'/);
    const missing = await runCli(['kmp', 'check', '--symvers', join(dir, 'nope'), join(dir, 'mods')]);
    expect(missing.code).toBe(2);
  });
});
