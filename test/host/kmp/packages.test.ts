import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kernelJson, packageDir, tempRoot, writeKernel } from '../../support/kmp-root.js';
import { runCli } from '../../support/run-cli.js';

const K = '6.1.0-57-amd64';
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
let root: string;
let work: string;
beforeEach(() => {
  root = tempRoot();
  work = mkdtempSync(join(tmpdir(), 'klpm-pack-test-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const acme = (version = '1.2-3') =>
  packageDir(work, 'acme-net', version, K, [{ name: 'acme_net', imports: ['printk:1'] }], true);

describe.skipIf(!has('dpkg-deb'))('klpm kmp pack --format deb (read back by dpkg-deb)', () => {
  it('names it for the kernel, puts only the store directory in it, scripts call klpm for that build', async () => {
    const run = await runCli([
      'kmp',
      'pack',
      acme(),
      '--format',
      'deb',
      '--out',
      join(work, 'out'),
      '--meta',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    const [pkg, meta] = JSON.parse(run.stdout).packages;
    const field = (f: string, file: string) =>
      spawnSync('dpkg-deb', ['-f', file, f], { encoding: 'utf8' }).stdout.trim();
    expect(field('Package', pkg.file)).toBe('acme-net-kmp-6.1.0-57-amd64');
    expect(field('Version', pkg.file)).toBe('1.2-3');
    const files = spawnSync('dpkg-deb', ['-c', pkg.file], { encoding: 'utf8' }).stdout;
    const paths = files
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/).pop());
    // the store directory, and Debian policy's changelog and copyright under the package's own doc dir
    const doc = '/usr/share/doc/acme-net-kmp-6.1.0-57-amd64/';
    for (const p of paths)
      expect(
        `/usr/lib/klpm/kmp/acme-net/1.2-3/${K}/`.startsWith(p!.slice(1)) ||
          p!.startsWith(`./usr/lib/klpm/kmp/acme-net/1.2-3/${K}/`) ||
          doc.startsWith(p!.slice(1)) ||
          p!.startsWith(`.${doc}`),
      ).toBe(true);
    expect(paths).toContain(`.${doc}changelog.Debian.gz`);
    expect(paths).toContain(`.${doc}copyright`);
    expect(paths).toContain(`./usr/lib/klpm/kmp/acme-net/1.2-3/${K}/acme_net.ko`);
    const control = join(work, 'control');
    spawnSync('dpkg-deb', ['-e', pkg.file, control]);
    expect(readFileSync(join(control, 'postinst'), 'utf8')).toContain(
      `"\${KLPM:-/usr/bin/klpm}" kmp add '/usr/lib/klpm/kmp/acme-net/1.2-3/${K}'`,
    );
    expect(readFileSync(join(control, 'prerm'), 'utf8')).toContain(
      `kmp remove 'acme-net' '1.2-3' --built-for '${K}'`,
    );
    expect(statSync(join(control, 'prerm')).mode & 0o111).not.toBe(0);
    expect(field('Package', meta.file)).toBe('acme-net-kmp');
    expect(field('Depends', meta.file)).toBe('acme-net-kmp-6.1.0-57-amd64 (= 1.2-3)');
  });

  it.skipIf(!has('lintian'))(
    'lintian reports no error on the packages (build, coinstallable, meta)',
    async () => {
      const run = await runCli([
        'kmp',
        'pack',
        acme(),
        '--format',
        'deb',
        '--out',
        join(work, 'out'),
        '--coinstallable',
        '--meta',
        '--json',
      ]);
      const plain = await runCli([
        'kmp',
        'pack',
        acme(),
        '--format',
        'deb',
        '--out',
        join(work, 'plain'),
        '--json',
      ]);
      const files = [...JSON.parse(run.stdout).packages, ...JSON.parse(plain.stdout).packages].map(
        (p: { file: string }) => p.file,
      );
      expect(files).toHaveLength(3);
      // lintian exits non-zero on errors; its E: lines name each one
      const lint = spawnSync('lintian', ['--tag-display-limit', '0', ...files], { encoding: 'utf8' });
      expect(lint.stdout.split('\n').filter((l) => l.startsWith('E:'))).toEqual([]);
      expect(lint.status).toBe(0);
    },
  );

  it('refuses a version dpkg cannot carry, naming kmp.json and the rule', async () => {
    const dir = acme('1.0^git1');
    const run = await runCli(['kmp', 'pack', dir, '--format', 'deb', '--out', join(work, 'out')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${join(dir, 'kmp.json')}: version '1.0^git1' is not a Debian version (PN-DEB-VERSION`,
    );
  });
});

describe.skipIf(!has('rpmbuild'))('klpm kmp pack --format rpm (read back by rpm -qp)', () => {
  it('splits version and release, %post/%preun/%posttrans call klpm', async () => {
    const run = await runCli([
      'kmp',
      'pack',
      acme(),
      '--format',
      'rpm',
      '--out',
      join(work, 'out'),
      '--json',
    ]);
    expect(run.stderr).toBe('');
    const [pkg] = JSON.parse(run.stdout).packages;
    const q = (...args: string[]) =>
      spawnSync('rpm', ['-qp', ...args, pkg.file], { encoding: 'utf8' }).stdout;
    expect(q('--qf', '%{NAME} %{VERSION} %{RELEASE}')).toBe('acme-net-kmp-6.1.0-57-amd64 1.2 3');
    expect(q('-l').trim().split('\n')).toEqual([
      `/usr/lib/klpm/kmp/acme-net/1.2-3/${K}`,
      `/usr/lib/klpm/kmp/acme-net/1.2-3/${K}/acme_net.ko`,
      `/usr/lib/klpm/kmp/acme-net/1.2-3/${K}/kmp.json`,
    ]);
    const scripts = q('--scripts');
    expect(scripts).toMatch(
      /postinstall scriptlet[^\n]*\n[^\n]*kmp add '\/usr\/lib\/klpm\/kmp\/acme-net\/1\.2-3\/6\.1\.0-57-amd64'/,
    );
    expect(scripts).toMatch(
      /preuninstall scriptlet[^\n]*\n[^\n]*kmp remove 'acme-net' '1\.2-3' --built-for '6\.1\.0-57-amd64'/,
    );
    expect(scripts).toMatch(/posttrans scriptlet[^\n]*\n[^\n]*kmp link/);
    // the module goes in as built, not stripped
    const ko = join(work, 'x');
    mkdirSync(ko);
    spawnSync('sh', ['-c', `cd ${ko} && rpm2cpio ${pkg.file} | cpio -id --quiet`]);
    expect(readFileSync(join(ko, `usr/lib/klpm/kmp/acme-net/1.2-3/${K}/acme_net.ko`), 'utf8')).toBe(
      'placeholder module acme_net 1.2-3\n',
    );
  });
});

describe('klpm kmp add of a build already in the store', () => {
  beforeEach(() => writeKernel(root, kernelJson(K, ['printk:1'])));

  it('is a no-op when it is the same (the store directory itself, as a package unpacks it), an error when it differs', async () => {
    expect((await runCli(['kmp', 'add', acme(), '--root', root, '--no-depmod'])).code).toBe(0);
    const stored = join(root, 'usr/lib/klpm/kmp/acme-net/1.2-3', K);
    const before = statSync(join(stored, 'acme_net.ko')).ino;
    const again = await runCli(['kmp', 'add', stored, '--root', root, '--no-depmod']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('plan: nothing to change');
    expect(statSync(join(stored, 'acme_net.ko')).ino).toBe(before);
    const other = acme();
    writeFileSync(join(other, 'acme_net.ko'), 'another build\n');
    const differs = await runCli(['kmp', 'add', other, '--root', root, '--no-depmod']);
    expect(differs.code).toBe(2);
    expect(differs.stderr).toContain(
      `acme-net 1.2-3 built for ${K} is already in the store with other contents`,
    );
    expect(readFileSync(join(stored, 'acme_net.ko'), 'utf8')).toBe('placeholder module acme_net 1.2-3\n');
  });

  it("remove --built-for removes only that kernel's build", async () => {
    const other = packageDir(work, 'acme-net', '1.2-3', '6.1.0-58-amd64', [
      { name: 'acme_net', imports: ['printk:1'] },
    ]);
    await runCli(['kmp', 'add', acme(), '--root', root, '--no-depmod']);
    await runCli(['kmp', 'add', other, '--root', root, '--no-depmod']);
    const run = await runCli([
      'kmp',
      'remove',
      'acme-net',
      '1.2-3',
      '--built-for',
      '6.1.0-58-amd64',
      '--root',
      root,
      '--no-depmod',
    ]);
    expect(run.code).toBe(0);
    expect(existsSync(join(root, 'usr/lib/klpm/kmp/acme-net/1.2-3/6.1.0-58-amd64'))).toBe(false);
    expect(existsSync(join(root, 'usr/lib/klpm/kmp/acme-net/1.2-3', K))).toBe(true);
  });
});

describe('add-kernel --allow-gap: a kernel with no compatible boot-critical build is registered, marked not bootable', () => {
  it('without it the kernel is refused; with it, registered, and status says NOT BOOTABLE until a build fits', async () => {
    writeKernel(root, kernelJson(K, ['printk:1']));
    expect((await runCli(['kmp', 'add', acme(), '--root', root, '--no-depmod'])).code).toBe(0);
    const next = join(work, 'next.json');
    writeFileSync(next, JSON.stringify(kernelJson('6.12.1-amd64', ['printk:2'])));
    mkdirSync(join(root, 'lib/modules/6.12.1-amd64'), { recursive: true });
    const refused = await runCli([
      'kmp',
      'add-kernel',
      '6.12.1-amd64',
      '--describe',
      next,
      '--root',
      root,
      '--no-depmod',
    ]);
    expect(refused.code).toBe(1);
    const allowed = await runCli([
      'kmp',
      'add-kernel',
      '6.12.1-amd64',
      '--describe',
      next,
      '--allow-gap',
      '--root',
      root,
      '--no-depmod',
    ]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(
      'WARNING: kernel 6.12.1-amd64 is NOT BOOTABLE: no compatible build of boot-critical acme-net',
    );
    const status = await runCli(['kmp', 'status', '--root', root, '--json']);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).notBootable).toEqual(['6.12.1-amd64']);
    const fix = packageDir(
      work,
      'acme-net',
      '1.2-3',
      '6.12.1-amd64',
      [{ name: 'acme_net', imports: ['printk:2'] }],
      true,
    );
    expect((await runCli(['kmp', 'add', fix, '--root', root, '--no-depmod'])).code).toBe(0);
    expect(
      JSON.parse((await runCli(['kmp', 'status', '--root', root, '--json'])).stdout).notBootable,
    ).toEqual([]);
  });
});

describe('--wait: a change queues behind another klpm holding the lock', () => {
  it('fails at once without it (exit 5), and goes ahead once the holder lets go with it', async () => {
    writeKernel(root, kernelJson(K, ['printk:1']));
    const lock = join(root, 'var/lib/klpm/klpm.lock');
    // a live process holding the lock: a sleeping child of this test
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(lock, `${holder.pid}\n`);
      expect((await runCli(['kmp', 'link', '--root', root, '--no-depmod'])).code).toBe(5);
      setTimeout(() => rmSync(lock), 500);
      const started = Date.now();
      const waited = await runCli(['kmp', 'link', '--root', root, '--no-depmod', '--wait', '10']);
      expect(waited.code).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(existsSync(lock)).toBe(false);
    } finally {
      holder.kill();
    }
  });

  it('gives up after the wait with exit 5', async () => {
    const lock = join(root, 'var/lib/klpm/klpm.lock');
    const holder = spawn('sleep', ['30']);
    try {
      mkdirSync(join(root, 'var/lib/klpm'), { recursive: true });
      writeFileSync(lock, `${holder.pid}\n`);
      const run = await runCli(['kmp', 'link', '--root', root, '--no-depmod', '--wait', '1']);
      expect(run.code).toBe(5);
      expect(run.stderr).toContain(`another klpm (pid ${holder.pid})`);
    } finally {
      holder.kill();
    }
  });
});

describe('klpm kmp install-hooks', () => {
  it('puts the three hooks in place, executable, and a second run changes nothing', async () => {
    const first = await runCli([
      'kmp',
      'install-hooks',
      '--root',
      root,
      '--from',
      join(process.cwd(), 'packaging/kmp'),
      '--json',
    ]);
    expect(first.stderr).toBe('');
    const paths = [
      '/etc/kernel/postinst.d/50-klpm',
      '/etc/kernel/postrm.d/50-klpm',
      '/usr/lib/kernel/install.d/40-klpm.install',
    ];
    expect(JSON.parse(first.stdout).installed).toEqual(paths.map((path) => ({ path, changed: true })));
    for (const p of paths) {
      expect(statSync(join(root, p)).mode & 0o777).toBe(0o755);
      expect(spawnSync('sh', ['-n', join(root, p)]).status).toBe(0);
    }
    const second = await runCli([
      'kmp',
      'install-hooks',
      '--root',
      root,
      '--from',
      join(process.cwd(), 'packaging/kmp'),
      '--json',
    ]);
    expect(JSON.parse(second.stdout).installed.every((h: { changed: boolean }) => !h.changed)).toBe(true);
  });

  it('the Debian hooks skip the steps that are not configure / remove (DEB_MAINT_PARAMS), as initramfs-tools does', () => {
    const log = join(work, 'calls');
    const fake = join(work, 'klpm');
    writeFileSync(fake, `#!/bin/sh\necho "$@" >> ${log}\n`, { mode: 0o755 });
    const hook = (name: string, params: string) =>
      spawnSync('sh', [join('packaging/kmp/debian', name), K, `/boot/vmlinuz-${K}`], {
        env: { PATH: process.env.PATH, KLPM: fake, DEB_MAINT_PARAMS: params },
        encoding: 'utf8',
      });
    expect(hook('postinst.d/50-klpm', 'abort-upgrade').status).toBe(0);
    expect(existsSync(log)).toBe(false);
    expect(hook('postinst.d/50-klpm', 'configure').status).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`kmp add-kernel ${K} --allow-gap --wait 300\n`);
  });
});
