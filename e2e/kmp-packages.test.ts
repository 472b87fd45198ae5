import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCacheDir } from './harness/kernels.js';
import { buildAcme, buildDir } from './harness/kmp-build.js';
import { baseLayer, copyUnavailable, type RunResult, SystemCopy } from './harness/system-copy.js';

/**
 * "KMP X for kernel Y" packages in real dpkg and rpm transactions (docs/kmp-packages.md, "Tests"),
 * inside a private copy of this machine (e2e/harness/system-copy.ts): Debian's real linux-image and
 * linux-headers packages installed by dpkg (their postinst runs klpm's hook, then initramfs-tools),
 * acme_net built by the real kbuild against their headers and packed by `klpm kmp pack`. Each case
 * first shows the problem with a classic package (its module in /lib/modules/K/updates, then depmod),
 * then klpm's package fixing it.
 *
 * Kernels: 6.1.0-57-amd64 and 6.12.118+deb12-amd64 from .ci/e2e-setup.sh's cache. Their KABIs differ
 * (6.12 has no module_layout and other CRCs), which is the KABI break of the boot-critical case.
 */

const DEBS = join(e2eCacheDir(), 'debs');
const K61 = '6.1.0-57-amd64';
const K612 = '6.12.118+deb12-amd64';
const HEADERS = (k: string) => join(e2eCacheDir(), 'kernels', k, 'root', 'usr', 'src', `linux-headers-${k}`);

function kernelDebs(k: string): string[] {
  const names = readdirSync(DEBS);
  // the image, and the headers package that holds Module.symvers; its -common and kbuild
  // dependencies (thousands of files nothing here reads) are left out with --force-depends
  const wanted = [`linux-image-${k}_`, `linux-headers-${k}_`];
  return wanted.map((prefix) => {
    const found = names.find((n) => n.startsWith(prefix) && n.endsWith('.deb'));
    if (!found) throw new Error(`no ${prefix}*.deb in ${DEBS}: run .ci/e2e-setup.sh`);
    return join(DEBS, found);
  });
}

function missing(): string | undefined {
  const why = copyUnavailable();
  if (why) return why;
  if (spawnSync('sh', ['-c', 'command -v make && command -v gcc && command -v rpmbuild']).status !== 0)
    return 'make, gcc or rpmbuild missing';
  for (const k of [K61, K612]) {
    if (!existsSync(HEADERS(k))) return `no headers of ${k} under ${e2eCacheDir()}: run .ci/e2e-setup.sh`;
    try {
      kernelDebs(k);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

const why = missing();
if (why) console.warn(`kmp-packages: skipped: ${why}`);

/** A classic KMP deb: the module in /lib/modules/K/updates/, postinst runs depmod (DKMS-built debs, Debian's own *-modules-K). */
function classicDeb(out: string, name: string, version: string, kernel: string, ko: string): string {
  const stage = mkdtempSync(join(tmpdir(), 'klpm-classic-'));
  const dir = join(stage, 'lib', 'modules', kernel, 'updates');
  mkdirSync(dir, { recursive: true });
  copyFileSync(ko, join(dir, 'acme_net.ko'));
  mkdirSync(join(stage, 'DEBIAN'));
  writeFileSync(
    join(stage, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: test <root@localhost>\nDescription: classic KMP\n classic\n`,
  );
  writeFileSync(
    join(stage, 'DEBIAN', 'postinst'),
    `#!/bin/sh\nset -e\n[ -d /lib/modules/${kernel}/kernel ] && depmod -a ${kernel} || true\n`,
  );
  chmodSync(join(stage, 'DEBIAN', 'postinst'), 0o755);
  const file = join(out, `${name}_${version}_classic.deb`);
  const r = spawnSync('dpkg-deb', ['--build', '--root-owner-group', stage, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return file;
}

// a kernel package's transaction builds an initramfs: minutes on a busy 2-core machine
describe.skipIf(why !== undefined)('KMP packages in real dpkg transactions', { timeout: 900_000 }, () => {
  let copy: SystemCopy;
  let out: string;
  const deb: Record<string, string> = {};
  const ko: Record<string, string> = {};

  const pack = (dir: string, ...flags: string[]): string => {
    const r = spawnSync(
      process.execPath,
      ['bin/klpm.js', 'kmp', 'pack', dir, '--format', 'deb', '--out', out, '--json', ...flags],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`kmp pack: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { packages: Array<{ file: string }> }).packages[0]!.file;
  };
  const link = (k: string, module = 'acme_net.ko') =>
    copy.run(`readlink -f /lib/modules/${k}/weak-updates/${module}`).stdout.trim();
  const status = (): {
    result: RunResult;
    json: {
      notBootable: string[];
      kernels: Array<{
        kernel: string;
        chosen: Array<{ package: string; version: string }>;
        gaps: unknown[];
      }>;
    };
  } => {
    const result = copy.run('klpm kmp status --json');
    return { result, json: JSON.parse(result.stdout) };
  };

  beforeAll(() => {
    copy = new SystemCopy(baseLayer());
    out = mkdtempSync(join(tmpdir(), 'klpm-kmp-debs-'));
    const parent = mkdtempSync(join(tmpdir(), 'klpm-kmp-builds-'));
    for (const v of ['1.0', '1.1', '1.2']) ko[`61-${v}`] = buildAcme(HEADERS(K61), K61, v);
    ko['612-1.1'] = buildAcme(HEADERS(K612), K612, '1.1');
    const b = (version: string, kernel: string, key: string, bootCritical = true) =>
      buildDir(parent, { package: 'acme-net', version, kernel, bootCritical, ko: ko[key]! });
    deb.v10 = pack(b('1.0-1', K61, '61-1.0'));
    deb.v11 = pack(b('1.1-1', K61, '61-1.1'));
    deb.v12co = pack(b('1.2-1', K61, '61-1.2'), '--coinstallable');
    deb.v11for612 = pack(b('1.1-1', K612, '612-1.1'));
    copy.ok('klpm kmp install-hooks');
    // initramfs-tools puts the module into the initramfs: it is boot-critical there
    copy.ok('echo acme_net >> /etc/initramfs-tools/modules');
    // only the listed modules (acme_net) and what they need, so each kernel package builds its
    // initramfs in seconds (MODULES=dep cannot find the copy's root device)
    copy.ok("sed -i 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf");
  });

  afterAll(() => copy?.remove());

  it('a kernel installed after the KMP: its package links the compatible build through the hook, before the initramfs is built', async () => {
    // classic: a module packaged for another kernel's updates/ does nothing for the new kernel
    copy.ok(`dpkg -i ${deb.v10}`);
    expect(link(K61)).toBe(''); // no kernel yet: stored, nothing linked
    const install = await copy.okAsync(`dpkg -i --force-depends ${kernelDebs(K61).join(' ')}`);
    // run-parts ran klpm's hook before initramfs-tools'
    expect(install.output.indexOf('/etc/kernel/postinst.d/50-klpm')).toBeGreaterThan(-1);
    expect(install.output.indexOf('/etc/kernel/postinst.d/50-klpm')).toBeLessThan(
      install.output.indexOf('/etc/kernel/postinst.d/initramfs-tools'),
    );
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.0-1/${K61}/acme_net.ko`);
    // depmod saw it, and the initramfs built after the hook holds it
    expect(copy.ok(`grep -c weak-updates/acme_net.ko /lib/modules/${K61}/modules.dep`).stdout.trim()).toBe(
      '1',
    );
    expect(
      copy
        .ok(`lsinitramfs /boot/initrd.img-${K61} | grep -c 'modules/${K61}/weak-updates/acme_net.ko'`)
        .stdout.trim(),
    ).toBe('1');
  });

  it('update, not only install: dpkg -i of the next version replaces the old build cleanly', () => {
    copy.ok(`dpkg -i ${deb.v11}`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K61}/acme_net.ko`);
    expect(copy.run('test -e /usr/lib/klpm/kmp/acme-net/1.0-1').status).not.toBe(0);
    expect(copy.ok(`dpkg-query -W -f='\${Version}' acme-net-kmp-${K61}`).stdout).toBe('1.1-1');
  });

  it('coexistence: two versions for one kernel install together, the newer is linked; removing it falls back', () => {
    // classic: two packages of one module for one kernel both own /lib/modules/K/updates/acme_net.ko
    const c1 = classicDeb(out, 'acme-net-classic-a', '1.1', K61, ko['61-1.1']!);
    const c2 = classicDeb(out, 'acme-net-classic-b', '1.2', K61, ko['61-1.2']!);
    copy.ok(`dpkg -i ${c1}`);
    const clash = copy.run(`dpkg -i ${c2}`);
    expect(clash.status).not.toBe(0);
    expect(clash.output).toMatch(
      /trying to overwrite '\/lib\/modules\/6\.1\.0-57-amd64\/updates\/acme_net\.ko'/,
    );
    copy.ok('dpkg -r acme-net-classic-a');
    // klpm: --coinstallable puts the upstream version into the name
    copy.ok(`dpkg -i ${deb.v12co}`);
    expect(
      copy
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template
        .ok("dpkg-query -W -f='${Package} ${Version}\\n' 'acme-net-*kmp*'")
        .stdout.trim()
        .split('\n')
        .sort(),
    ).toEqual([`acme-net-1.2-kmp-${K61} 1.2-1`, `acme-net-kmp-${K61} 1.1-1`]);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.2-1/${K61}/acme_net.ko`);
    copy.ok(`dpkg -r acme-net-1.2-kmp-${K61}`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K61}/acme_net.ko`);
  });

  it('removing the last build of a boot-critical KMP fails its prerm: dpkg keeps the package', () => {
    const r = copy.run(`dpkg -r acme-net-kmp-${K61}`);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`kernel ${K61} would lose boot-critical acme-net`);
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-net-kmp-${K61}`).stdout).toMatch(/ ok installed$/);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K61}/acme_net.ko`);
  });

  it('KABI break with a boot-critical module: the new kernel is marked not bootable, the old one keeps its module', async () => {
    // classic: one package name for "the" module; its next version is built for the new kernel, and
    // the upgrade takes the old kernel's module away
    const old = classicDeb(out, 'acme-net-classic', '1.1', K61, ko['61-1.1']!);
    const next = classicDeb(out, 'acme-net-classic', '1.2', K612, ko['612-1.1']!);
    copy.ok(`dpkg -i ${old}`);
    expect(copy.run(`test -e /lib/modules/${K61}/updates/acme_net.ko`).status).toBe(0);
    copy.ok(`dpkg -i ${next}`);
    expect(copy.run(`test -e /lib/modules/${K61}/updates/acme_net.ko`).status).not.toBe(0);
    copy.ok('dpkg -r acme-net-classic');
    // klpm: installing the new kernel does not fail; klpm marks it and says so
    const install = await copy.okAsync(`dpkg -i --force-depends ${kernelDebs(K612).join(' ')}`);
    expect(install.output).toContain(
      `WARNING: kernel ${K612} is NOT BOOTABLE: no compatible build of boot-critical acme-net`,
    );
    const { result, json } = status();
    expect(result.status).toBe(1);
    expect(json.notBootable).toEqual([K612]);
    expect(result.status === 1 && copy.run('klpm kmp status').stdout).toContain(
      `kernel ${K612} is NOT BOOTABLE`,
    );
    // the old kernel keeps its module and its initramfs
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K61}/acme_net.ko`);
    expect(
      copy
        .ok(`lsinitramfs /boot/initrd.img-${K61} | grep -c 'modules/${K61}/weak-updates/acme_net.ko'`)
        .stdout.trim(),
    ).toBe('1');
    // a build for the new kernel makes it bootable
    copy.ok(`dpkg -i ${deb.v11for612}`);
    expect(link(K612)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K612}/acme_net.ko`);
    expect(status().json.notBootable).toEqual([]);
  });

  it('kernel removal: removing the kernel package removes its links and its registration', async () => {
    // classic: the module of a removed kernel stays behind in its updates/
    const classic = classicDeb(out, 'acme-net-classic', '1.2', K612, ko['612-1.1']!);
    copy.ok(`dpkg -i ${classic}`);
    await copy.okAsync(`dpkg -r linux-headers-${K612} linux-image-${K612}`);
    expect(copy.run(`test -e /lib/modules/${K612}/updates/acme_net.ko`).status).toBe(0);
    copy.ok('dpkg -r acme-net-classic');
    // klpm: the kernel's postrm ran klpm's hook
    expect(copy.run(`test -e /var/lib/klpm/kmp/kernels/${K612}.json`).status).not.toBe(0);
    expect(copy.run(`test -e /lib/modules/${K612}/weak-updates`).status).not.toBe(0);
    expect(status().json.kernels.map((k) => k.kernel)).toEqual([K61]);
    // the KMP built for the removed kernel no longer serves anything: it goes without refusal
    copy.ok(`dpkg -r acme-net-kmp-${K612}`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K61}/acme_net.ko`);
  });

  it('a crash in the middle of a transaction: dpkg killed in the postinst; klpm kmp link and dpkg --configure -a finish it', () => {
    // the postinst's klpm is a stand-in that kills dpkg (and itself) before klpm runs
    // only the dpkg running this postinst (the script's parent's parent), never another dpkg
    copy.write(
      '/usr/local/bin/klpm-crash',
      '#!/bin/sh\ndpkg=$(ps -o ppid= -p $PPID | tr -d " ")\n[ "$(cat /proc/$dpkg/comm)" = dpkg ] && kill -KILL "$dpkg"\nkill -KILL $$\n',
      0o755,
    );
    const killed = copy.run(`dpkg -i ${deb.v12co}`, { KLPM: '/usr/local/bin/klpm-crash' });
    expect(killed.status).not.toBe(0);
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-net-1.2-kmp-${K61}`).stdout).toMatch(
      /half-configured|unpacked/,
    );
    // the kernel still reaches its boot-critical module: the old build's link was never touched
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.1-1/${K61}/acme_net.ko`);
    expect(copy.run(`test -f /lib/modules/${K61}/weak-updates/acme_net.ko`).status).toBe(0);
    // the unpacked build is in the store: klpm kmp link finishes what the postinst did not
    copy.ok('klpm kmp link');
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-net/1.2-1/${K61}/acme_net.ko`);
    // and dpkg's own recovery runs the postinst again: adding the stored build is a no-op
    const configured = copy.ok('dpkg --configure -a');
    expect(configured.output).toContain('plan: nothing to change');
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-net-1.2-kmp-${K61}`).stdout).toBe(
      'install ok installed',
    );
  });
});

/** rpmbuild of a spec with no sources; returns the rpm written to `out`. */
function rpmbuild(out: string, spec: string, name: string): string {
  const work = mkdtempSync(join(tmpdir(), 'klpm-rpmbuild-'));
  writeFileSync(join(work, `${name}.spec`), spec);
  const r = spawnSync(
    'rpmbuild',
    [
      '-bb',
      '--define',
      `_topdir ${work}/top`,
      '--define',
      `_rpmdir ${out}`,
      '--define',
      '_build_name_fmt %%{NAME}.rpm',
      join(work, `${name}.spec`),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`rpmbuild ${name}: ${r.stderr}`);
  return join(out, `${name}.rpm`);
}

describe.skipIf(why !== undefined)('KMP packages in real rpm transactions', { timeout: 300_000 }, () => {
  let copy: SystemCopy;
  let out: string;
  const rpm: Record<string, string> = {};
  const pack = (dir: string): string => {
    const r = spawnSync(
      process.execPath,
      ['bin/klpm.js', 'kmp', 'pack', dir, '--format', 'rpm', '--out', out, '--json'],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`kmp pack: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { packages: Array<{ file: string }> }).packages[0]!.file;
  };
  const link = (k: string) =>
    copy.run(`readlink -f /lib/modules/${k}/weak-updates/acme_rpm.ko`).stdout.trim();
  const installed = () =>
    copy.run("rpm -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}\\n' 'acme-rpm*' | sort").stdout.trim();

  beforeAll(() => {
    copy = new SystemCopy(baseLayer());
    out = mkdtempSync(join(tmpdir(), 'klpm-kmp-rpms-'));
    const parent = mkdtempSync(join(tmpdir(), 'klpm-kmp-builds-'));
    const b = (version: string, kernel: string, v: string) =>
      buildDir(parent, {
        package: 'acme-rpm',
        version,
        kernel,
        bootCritical: true,
        ko: buildAcme(HEADERS(kernel), kernel, v, 'acme_rpm'),
      });
    rpm.v10 = pack(b('1.0-1', K61, '1.0'));
    rpm.v11 = pack(b('1.1-1', K61, '1.1'));
    // Debian's rpm starts with an empty database: scriptlets need a package providing /bin/sh
    rpm.sh = rpmbuild(
      out,
      'Name: klpm-test-bootstrap\nVersion: 1\nRelease: 1\nSummary: provides what the host has\nLicense: MIT\nBuildArch: noarch\nProvides: /bin/sh\n%description\nbootstrap\n%files\n',
      'klpm-test-bootstrap',
    );
    // kernels on the rpm side: Debian's kernel tree (no kernel rpm is reachable here), registered
    copy.ok(
      `mkdir -p /lib/modules && ln -s ${join(e2eCacheDir(), 'kernels', K61, 'root/lib/modules', K61)} /lib/modules/${K61} && klpm kmp add-kernel ${K61} --symvers ${HEADERS(K61)}/Module.symvers`,
    );
    copy.ok(`rpm -i ${rpm.sh}`);
  });

  afterAll(() => copy?.remove());

  it('install, upgrade (rpm -U), a second version beside (rpm -i), erase falling back, and the boot-critical erase refused', () => {
    copy.ok(`rpm -i ${rpm.v10}`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.0-1/${K61}/acme_rpm.ko`);
    // upgrade: the new %post links 1.1, the old %preun drops 1.0, %posttrans relinks (nothing left)
    const upgrade = copy.ok(`rpm -U ${rpm.v11}`);
    expect(upgrade.output).not.toMatch(/error|warning/i);
    expect(installed()).toBe(`acme-rpm-kmp-${K61}-1.1-1`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.1-1/${K61}/acme_rpm.ko`);
    expect(copy.run('test -e /usr/lib/klpm/kmp/acme-rpm/1.0-1').status).not.toBe(0);
    // rpm holds two versions of one name when their files differ: 1.0 beside 1.1
    copy.ok(`rpm -i --oldpackage ${rpm.v10}`);
    expect(installed()).toBe(`acme-rpm-kmp-${K61}-1.0-1\nacme-rpm-kmp-${K61}-1.1-1`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.1-1/${K61}/acme_rpm.ko`);
    // erasing the newer falls back to the build still installed
    copy.ok(`rpm -e acme-rpm-kmp-${K61}-1.1-1`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.0-1/${K61}/acme_rpm.ko`);
    // the last boot-critical build: %preun fails, rpm keeps the package
    const refused = copy.run(`rpm -e acme-rpm-kmp-${K61}`);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain(`kernel ${K61} would lose boot-critical acme-rpm`);
    expect(installed()).toBe(`acme-rpm-kmp-${K61}-1.0-1`);
    expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.0-1/${K61}/acme_rpm.ko`);
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v kernel-install']).status !== 0)(
    "systemd's kernel-install runs klpm's plugin: remove forgets the kernel and its links, add registers and links again",
    () => {
      // kernel-install's add finds the symvers where Debian's headers package puts them
      copy.ok(
        `klpm kmp install-hooks && mkdir -p /usr/src && ln -sfn ${HEADERS(K61)} /usr/src/linux-headers-${K61}`,
      );
      const env = { KERNEL_INSTALL_LAYOUT: 'other' };
      const removed = copy.ok(`kernel-install -v remove ${K61}`, env);
      expect(removed.output).toContain(`/usr/lib/kernel/install.d/40-klpm.install remove ${K61}`);
      expect(copy.run(`test -e /var/lib/klpm/kmp/kernels/${K61}.json`).status).not.toBe(0);
      expect(copy.run(`test -L /lib/modules/${K61}/weak-updates/acme_rpm.ko`).status).not.toBe(0);
      const added = copy.ok(
        `kernel-install -v add ${K61} ${join(e2eCacheDir(), 'kernels', K61, 'vmlinuz')}`,
        env,
      );
      // before depmod's plugin and the initrd's
      expect(added.output.indexOf('40-klpm.install add')).toBeLessThan(
        added.output.indexOf('50-depmod.install add'),
      );
      expect(copy.run(`test -e /var/lib/klpm/kmp/kernels/${K61}.json`).status).toBe(0);
      expect(link(K61)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.0-1/${K61}/acme_rpm.ko`);
    },
  );

  it("rpm's file triggers: a kernel rpm installed registers its kernel and links the compatible KMP builds; erasing it unregisters", () => {
    // klpm's trigger package, from the shipped snippet
    const triggers = readFileSync(join(process.cwd(), 'packaging/kmp/rpm/kernel-triggers.spec'), 'utf8');
    const hooks = rpmbuild(
      out,
      `Name: klpm-kernel-hooks\nVersion: 1\nRelease: 1\nSummary: klpm kernel triggers\nLicense: MIT\nBuildArch: noarch\n%description\ntriggers\n%files\n${triggers}`,
      'klpm-kernel-hooks',
    );
    // a kernel rpm: no real one is reachable, so one of Debian's in-tree modules and Debian's
    // Module.symvers of 6.1.0-57 under another release of the same flavor
    const K = '6.1.0-99-amd64';
    const tree = join(e2eCacheDir(), 'kernels', K61, 'root');
    const kernel = rpmbuild(
      out,
      [
        `Name: kernel-test\nVersion: 6.1.0\nRelease: 99\nSummary: test kernel\nLicense: GPL-2.0-only\nBuildArch: x86_64\nAutoReqProv: no`,
        '%define __os_install_post %{nil}\n%define debug_package %{nil}\n%define _build_id_links none',
        '%description\ntest kernel',
        '%install',
        `mkdir -p %{buildroot}/lib/modules/${K}/kernel/lib %{buildroot}/usr/src/linux-headers-${K}`,
        `cp ${tree}/lib/modules/${K61}/kernel/lib/crc16.ko %{buildroot}/lib/modules/${K}/kernel/lib/`,
        `cp ${HEADERS(K61)}/Module.symvers %{buildroot}/usr/src/linux-headers-${K}/`,
        '%files',
        `/lib/modules/${K}`,
        `/usr/src/linux-headers-${K}`,
        '',
      ].join('\n'),
      'kernel-test',
    );
    copy.ok(`rpm -i ${hooks}`);
    const installed = copy.ok(`rpm -i --nodeps ${kernel}`);
    expect(installed.output).toContain(`read kernel ${K} (amd64): 1 module`);
    expect(copy.run(`test -e /var/lib/klpm/kmp/kernels/${K}.json`).status).toBe(0);
    // the build made for 6.1.0-57 serves the new kernel too: same KABI
    expect(link(K)).toBe(`/usr/lib/klpm/kmp/acme-rpm/1.0-1/${K61}/acme_rpm.ko`);
    copy.ok('rpm -e kernel-test');
    expect(copy.run(`test -e /var/lib/klpm/kmp/kernels/${K}.json`).status).not.toBe(0);
    expect(copy.run(`test -e /lib/modules/${K}/weak-updates`).status).not.toBe(0);
  });
});
