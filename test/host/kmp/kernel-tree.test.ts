import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseInitrdList } from '../../../src/initrd/index.js';
import { writeModule } from '../../support/elf-writer.js';
import { compress, cpioArchive } from '../../support/initramfs.js';
import { tempRoot } from '../../support/kmp-root.js';
import { runCli } from '../../support/run-cli.js';

const K = '6.1.0-7-amd64';
const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function root(): string {
  const dir = tempRoot();
  roots.push(dir);
  return dir;
}

function put(path: string, bytes: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

function module(
  name: string,
  exports: Array<{ name: string; crc: number }>,
  imports: Array<[string, number]>,
) {
  return writeModule({
    modinfo: [`name=${name}`, `vermagic=${K} SMP preempt mod_unload modversions `],
    versions: imports.map(([n, crc]) => ({ name: n, crc })),
    imports: imports.map(([n]) => ({ name: n })),
    exports,
  });
}

/** A kernel as dpkg leaves it: modules (one gzip-compressed, one a symlink), Module.symvers in linux-headers. */
function installKernel(r: string): void {
  const dir = join(r, 'lib/modules', K);
  put(join(dir, 'kernel/lib/libfoo.ko'), module('libfoo', [{ name: 'foo_get', crc: 0x10 }], [['printk', 1]]));
  put(join(dir, 'kernel/drivers/user.ko.gz'), gzipSync(module('user', [], [['foo_get', 0x10]])));
  put(join(r, 'elsewhere/linked.ko'), module('linked', [{ name: 'linked_op', crc: 0x20 }], []));
  symlinkSync(join(r, 'elsewhere/linked.ko'), join(dir, 'kernel/lib/linked.ko'));
  // not the kernel's own: weak-modules' links to another kernel's build
  put(join(dir, 'weak-updates/other.ko'), module('other', [{ name: 'other_op', crc: 0x30 }], []));
  put(
    join(r, 'usr/src', `linux-headers-${K}`, 'Module.symvers'),
    '0x00000001\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n',
  );
}

const kmp = (args: string[], r: string) => runCli(['kmp', ...args, '--root', r, '--no-depmod', '--json']);

describe('klpm kmp add-kernel from the installed files', () => {
  it("reads /lib/modules/K (compressed and symlinked modules, not weak-updates/) and Debian's Module.symvers", async () => {
    const r = root();
    installKernel(r);
    const initrd = join(r, 'initrd.list');
    writeFileSync(initrd, `usr/lib/modules/${K}/kernel/lib/libfoo.ko\nusr/bin/busybox\n`);
    const added = await kmp(['add-kernel', K, '--initrd-modules', initrd], r);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).kernelRead).toEqual({
      release: K,
      flavor: 'amd64',
      symvers: join(r, 'usr/src', `linux-headers-${K}`, 'Module.symvers'),
      modules: 3,
      initrd: ['libfoo'],
      initrdFile: initrd,
    });
    // a KMP replacing libfoo without foo_get breaks user.ko.gz, an in-tree module read from its file
    const pkg = join(r, 'pkg');
    put(join(pkg, 'libfoo.ko'), module('libfoo', [], [['printk', 1]]));
    writeFileSync(
      join(pkg, 'kmp.json'),
      JSON.stringify({ package: 'foo-kmp', version: '1', kernel: K, modules: [{ file: 'libfoo.ko' }] }),
    );
    const add = JSON.parse((await kmp(['add', pkg], r)).stdout);
    expect(add.kernels[0].rejected[0].reasons).toEqual([
      {
        kind: 'override-unknown',
        module: 'libfoo',
        symbol: 'foo_get',
        neededBy: 'user',
        wanted: '0x00000010',
      },
    ]);
    // and libfoo is in the initrd: the kernel being added would boot without it
    expect(add.kernels[0].gaps).toEqual([{ kernel: K, package: 'foo-kmp', because: 'initrd', had: false }]);
  });

  it("records the kernel's vermagic, and refuses boot-critical builds for a kernel registered without one", async () => {
    const r = root();
    installKernel(r);
    expect((await kmp(['add-kernel', K], r)).code).toBe(0);
    const file = join(r, 'var/lib/klpm/kmp/kernels', `${K}.json`);
    const registered = JSON.parse(readFileSync(file, 'utf8'));
    expect(registered.vermagic).toBe(`${K} SMP preempt mod_unload modversions `);
    // a build for another release whose flags differ (preempt_rt) is refused by same_magic
    const other = '6.1.0-6-amd64';
    const pkg = join(r, 'pkg');
    put(
      join(pkg, 'acme.ko'),
      writeModule({
        modinfo: ['name=acme', `vermagic=${other} SMP preempt_rt mod_unload modversions `],
        versions: [{ name: 'printk', crc: 1 }],
        imports: [{ name: 'printk' }],
      }),
    );
    writeFileSync(
      join(pkg, 'kmp.json'),
      JSON.stringify({
        package: 'acme',
        version: '1',
        kernel: other,
        bootCritical: true,
        modules: [{ file: 'acme.ko' }],
      }),
    );
    const refused = JSON.parse((await kmp(['add', pkg], r)).stdout);
    expect(refused.kernels[0].rejected[0].reasons).toEqual([
      {
        kind: 'vermagic',
        module: 'acme',
        vermagic: `${other} SMP preempt_rt mod_unload modversions `,
        kernelVermagic: `${K} SMP preempt mod_unload modversions `,
      },
    ]);
    // a registration from before klpm read the vermagic: the boot-critical build is not risked
    delete registered.vermagic;
    writeFileSync(file, JSON.stringify(registered));
    put(
      join(pkg, 'acme.ko'),
      writeModule({
        modinfo: ['name=acme', `vermagic=${other} SMP preempt mod_unload modversions `],
        versions: [{ name: 'printk', crc: 1 }],
        imports: [{ name: 'printk' }],
      }),
    );
    writeFileSync(
      join(pkg, 'kmp.json'),
      JSON.stringify({
        package: 'acme',
        version: '2',
        kernel: other,
        bootCritical: true,
        modules: [{ file: 'acme.ko' }],
      }),
    );
    const unknown = JSON.parse((await kmp(['add', pkg], r)).stdout);
    const acme2 = unknown.kernels[0].rejected.find((b: { version: string }) => b.version === '2');
    expect(acme2.reasons).toEqual([{ kind: 'kernel-vermagic-unknown', module: 'acme' }]);
    expect(unknown.kernels[0].chosen).toEqual([]);
  });

  it('finds /boot/symvers-K.gz first, takes --symvers and --flavor, and says where it looked when none is there', async () => {
    const r = root();
    installKernel(r);
    put(join(r, 'boot', `symvers-${K}.gz`), gzipSync('0x00000002\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n'));
    const boot = JSON.parse((await kmp(['add-kernel', K], r)).stdout).kernelRead;
    expect(boot.symvers).toBe(join(r, 'boot', `symvers-${K}.gz`));
    const given = join(r, 'given.symvers');
    writeFileSync(given, '0x00000003\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n');
    const flagged = JSON.parse(
      (await kmp(['add-kernel', K, '--symvers', given, '--flavor', 'rt'], r)).stdout,
    );
    expect(flagged.kernelRead).toMatchObject({ symvers: given, flavor: 'rt', initrdFile: null });

    const bare = root();
    mkdirSync(join(bare, 'lib/modules', K), { recursive: true });
    const none = await kmp(['add-kernel', K], bare);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`no symvers for kernel ${K} in /boot/symvers-${K}.gz, `);
    expect(none.stderr).toContain('give --symvers FILE');
    const missing = await kmp(['add-kernel', '6.1.0-9-amd64'], bare);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('kernel 6.1.0-9-amd64 has no module directory');
    const both = await kmp(['add-kernel', K, '--describe', given, '--symvers', given], r);
    expect(both.code).toBe(2);
  });
});

describe('klpm kmp add-kernel on a merged-/usr kernel (Debian 7.x)', () => {
  const K7 = '7.3.4+deb13-amd64';
  // Debian's 7.x packages put everything under /usr/lib/modules/<K>; its kernels have no modversions
  const plain = (name: string, exports: string[], imports: string[]) =>
    writeModule({
      modinfo: [`name=${name}`, `vermagic=${K7} SMP preempt mod_unload `],
      imports: imports.map((n) => ({ name: n })),
      exports: exports.map((n) => ({ name: n, crc: 0 })),
    });

  it('reads /usr/lib/modules/K when there is no /lib/modules/K, and its vermagic without modversions', async () => {
    const r = root();
    const dir = join(r, 'usr/lib/modules', K7);
    put(join(dir, 'kernel/lib/libfoo.ko'), plain('libfoo', ['foo_get'], ['printk']));
    put(join(dir, 'kernel/drivers/user.ko'), plain('user', [], ['foo_get']));
    put(join(dir, 'config'), '# CONFIG_MODVERSIONS is not set\n');
    put(
      join(r, 'usr/src', `linux-headers-${K7}`, 'Module.symvers'),
      '0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n',
    );
    const added = await kmp(['add-kernel', K7], r);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).kernelRead).toMatchObject({ release: K7, flavor: 'amd64', modules: 2 });
    const registered = JSON.parse(
      readFileSync(join(r, 'var/lib/klpm/kmp/kernels', `${K7}.json`), 'utf8'),
    ) as { vermagic?: string };
    expect(registered.vermagic).toBe(`${K7} SMP preempt mod_unload `);
  });

  it('takes /usr/lib/modules/K/symvers.gz when no other symvers is there', async () => {
    const r = root();
    put(join(r, 'usr/lib/modules', K7, 'kernel/lib/libfoo.ko'), plain('libfoo', ['foo_get'], ['printk']));
    put(
      join(r, 'usr/lib/modules', K7, 'symvers.gz'),
      gzipSync('0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n'),
    );
    const added = await kmp(['add-kernel', K7], r);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).kernelRead.symvers).toBe(join(r, 'usr/lib/modules', K7, 'symvers.gz'));
  });
});

describe('klpm kmp add-kernel and the initramfs image', () => {
  // a KMP replacing libfoo, which the image holds: without a build for K it is a boot-critical gap
  async function addFooKmp(r: string) {
    const pkg = join(r, 'pkg');
    put(join(pkg, 'libfoo.ko'), module('libfoo', [], [['printk', 1]]));
    writeFileSync(
      join(pkg, 'kmp.json'),
      JSON.stringify({ package: 'foo-kmp', version: '1', kernel: K, modules: [{ file: 'libfoo.ko' }] }),
    );
    return JSON.parse((await kmp(['add', pkg], r)).stdout);
  }
  const image = () =>
    Buffer.concat([
      cpioArchive({ 'kernel/x86/microcode/AuthenticAMD.bin': 'microcode' }),
      compress(
        ['gzip', '-c'],
        cpioArchive({ [`usr/lib/modules/${K}/kernel/lib/libfoo.ko`]: 'elf', init: 'sh' }),
      ),
    ]);

  it("reads Debian's /boot/initrd.img-K without being told", async () => {
    const r = root();
    installKernel(r);
    put(join(r, 'boot', `initrd.img-${K}`), image());
    const added = await kmp(['add-kernel', K], r);
    expect(added.stderr).toBe('');
    expect(JSON.parse(added.stdout).kernelRead).toMatchObject({
      initrd: ['libfoo'],
      initrdFile: join(r, 'boot', `initrd.img-${K}`),
    });
    expect((await addFooKmp(r)).kernels[0].gaps).toEqual([
      { kernel: K, package: 'foo-kmp', because: 'initrd', had: false },
    ]);
  });

  it('takes --initrd, refuses it beside --initrd-modules, and names a corrupt image', async () => {
    const r = root();
    installKernel(r);
    const given = join(r, 'elsewhere', 'initramfs.img');
    put(given, image());
    const text = await runCli(['kmp', 'add-kernel', K, '--root', r, '--no-depmod', '--initrd', given]);
    expect(text.stdout).toContain(`1 initrd module from ${given}`);
    const both = await kmp(['add-kernel', K, '--initrd', given, '--initrd-modules', given], r);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give one of them');
    put(join(r, 'boot', `initramfs-${K}.img`), 'not an image at all');
    const corrupt = await kmp(['add-kernel', K], r);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toBe(
      `klpm: ${join(r, 'boot', `initramfs-${K}.img`)}: offset 0x0: neither a cpio archive (070701) nor a compressed one (gzip, zstd, xz, lz4, lzma, bzip2, lzo): not an initramfs image\n`,
    );
  });
});

describe('parseInitrdList', () => {
  it("takes names and lsinitramfs paths of this kernel, in the kernel's form", () => {
    const listing = [
      '# from lsinitramfs',
      'dm-mod',
      'nvme.ko',
      `usr/lib/modules/${K}/kernel/drivers/md/raid456.ko.xz`,
      'usr/lib/modules/5.10.0-1-amd64/kernel/drivers/old.ko',
      `usr/lib/modules/${K}/modules.dep`,
      'usr/bin/busybox',
      'bad name',
      '',
    ].join('\n');
    expect(parseInitrdList(listing, K)).toEqual(['dm_mod', 'nvme', 'raid456']);
  });
});
