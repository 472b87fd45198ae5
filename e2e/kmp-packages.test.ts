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
 * Kernels: three ABIs of Debian's 6.1 series, so every KABI question is one of a real series: N, the
 * e2e kernel .ci/e2e-setup.sh picks (6.1.0-57-amd64), and two older ABIs the KMP oracle picks with
 * apt-cache at setup time (.ci/kmp-oracle.sh, its cases.tsv): OLD_BREAK, the newest older ABI whose CRCs
 * differ from N's for a symbol the module uses (6.1.0-54: module_layout), and OLD_MATCH, the newest
 * whose CRCs match (6.1.0-56). Their headers are the oracle's, their image debs e2e-setup's.
 */

const DEBS = join(e2eCacheDir(), 'debs');
const K61 = '6.1.0-57-amd64';
const HEADERS = (k: string) => {
  const own = join(e2eCacheDir(), 'kernels', k, 'root', 'usr', 'src', `linux-headers-${k}`);
  return existsSync(own) ? own : join(e2eCacheDir(), 'oracle-headers', k, 'usr', 'src', `linux-headers-${k}`);
};

/** The oracle's pick for N (cases.tsv: case, built-for release, file): crc_differ and crc_match. */
function oraclePair(): { differ?: string; match?: string } {
  const dir = join(e2eCacheDir(), 'oracle', K61);
  if (!existsSync(dir)) return {};
  for (const hash of readdirSync(dir)) {
    const tsv = join(dir, hash, 'cases.tsv');
    if (!existsSync(tsv)) continue;
    const rows = readFileSync(tsv, 'utf8')
      .split('\n')
      .map((l) => l.split('\t'));
    return {
      differ: rows.find((r) => r[0] === 'crc_differ')?.[1],
      match: rows.find((r) => r[0] === 'crc_match')?.[1],
    };
  }
  return {};
}
const PAIR = oraclePair();
/** the older ABI whose KABI the KMP built for N breaks (6.1.0-54-amd64 today) */
const OLD_BREAK = PAIR.differ ?? '6.1.0-54-amd64';
/** the older ABI N's build is KABI-compatible with (6.1.0-56-amd64 today) */
const OLD_MATCH = PAIR.match ?? '6.1.0-56-amd64';

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
  if (!PAIR.differ || !PAIR.match)
    return `the KMP oracle picked no older 6.1 ABI pair for ${K61} (.ci/kmp-oracle.sh): run .ci/e2e-setup.sh`;
  for (const k of [K61, OLD_BREAK, OLD_MATCH]) {
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

/**
 * A classic KMP deb: the module in /lib/modules/K/updates/ of each kernel given, postinst and postrm
 * run depmod (DKMS-built debs, Debian's own *-modules-K).
 */
function classicDeb(
  out: string,
  name: string,
  version: string,
  kernels: string | string[],
  ko: string,
  module = 'acme_net',
): string {
  const stage = mkdtempSync(join(tmpdir(), 'klpm-classic-'));
  const list = typeof kernels === 'string' ? [kernels] : kernels;
  for (const kernel of list) {
    const dir = join(stage, 'lib', 'modules', kernel, 'updates');
    mkdirSync(dir, { recursive: true });
    copyFileSync(ko, join(dir, `${module}.ko`));
  }
  mkdirSync(join(stage, 'DEBIAN'));
  writeFileSync(
    join(stage, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: test <test@klpm.invalid>\nDescription: classic KMP\n classic\n`,
  );
  const depmod = list.map((k) => `[ -d /lib/modules/${k}/kernel ] && depmod -a ${k} || true\n`).join('');
  for (const script of ['postinst', 'postrm']) {
    writeFileSync(join(stage, 'DEBIAN', script), `#!/bin/sh\nset -e\n${depmod}`);
    chmodSync(join(stage, 'DEBIAN', script), 0o755);
  }
  const file = join(out, `${name}_${version}_classic.deb`);
  const r = spawnSync('dpkg-deb', ['--build', '--root-owner-group', stage, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return file;
}

// a kernel package's transaction builds an initramfs: minutes on a busy 2-core machine
describe.skipIf(why !== undefined)('KMP packages in real dpkg transactions', { timeout: 900_000 }, () => {
  // three real kernels of one series, each installed by one case: O (its KABI differs from N's), N,
  // and M (older than N, KABI-compatible with it)
  const KO = OLD_BREAK;
  const KN = K61;
  const KM = OLD_MATCH;
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
  const store = (pkg: string, version: string, builtFor: string, module = 'acme_net') =>
    `/usr/lib/klpm/kmp/${pkg}/${version}/${builtFor}/${module}.ko`;
  /** what the module loader would load for K: modinfo resolves the name through modules.dep */
  const loads = (k: string, module: string, field: 'version' | 'filename') =>
    copy.ok(`modinfo -k ${k} -F ${field} ${module}`).stdout.trim();
  /** depmod's KABI check of K's whole tree against its Module.symvers: its warnings */
  const kabiWarnings = (k: string) =>
    copy.ok(`depmod -n -ae -E /usr/src/linux-headers-${k}/Module.symvers ${k} 2>&1 >/dev/null`).stdout;
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
    for (const v of ['1.0', '1.1', '1.2']) ko[`${KO}-${v}`] = buildAcme(HEADERS(KO), KO, v);
    for (const v of ['1.1', '1.2']) ko[`${KN}-${v}`] = buildAcme(HEADERS(KN), KN, v);
    ko[`blk-${KM}-1.0`] = buildAcme(HEADERS(KM), KM, '1.0', 'acme_blk');
    ko[`blk-${KN}-1.1`] = buildAcme(HEADERS(KN), KN, '1.1', 'acme_blk');
    const b = (version: string, kernel: string, key: string, pkg = 'acme-net', bootCritical = true) =>
      buildDir(parent, { package: pkg, version, kernel, bootCritical, ko: ko[key]! });
    deb.v10 = pack(b('1.0-1', KO, `${KO}-1.0`));
    deb.v11 = pack(b('1.1-1', KO, `${KO}-1.1`));
    deb.v12co = pack(b('1.2-1', KO, `${KO}-1.2`), '--coinstallable');
    deb.v11forN = pack(b('1.1-1', KN, `${KN}-1.1`));
    deb.v12forN = pack(b('1.2-1', KN, `${KN}-1.2`));
    deb.blk10forM = pack(b('1.0-1', KM, `blk-${KM}-1.0`, 'acme-blk', false));
    deb.blk11forN = pack(b('1.1-1', KN, `blk-${KN}-1.1`, 'acme-blk', false));
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
    expect(link(KO)).toBe(''); // no kernel yet: stored, nothing linked
    const install = await copy.okAsync(`dpkg -i --force-depends ${kernelDebs(KO).join(' ')}`);
    // run-parts ran klpm's hook before initramfs-tools'
    expect(install.output.indexOf('/etc/kernel/postinst.d/50-klpm')).toBeGreaterThan(-1);
    expect(install.output.indexOf('/etc/kernel/postinst.d/50-klpm')).toBeLessThan(
      install.output.indexOf('/etc/kernel/postinst.d/initramfs-tools'),
    );
    expect(link(KO)).toBe(store('acme-net', '1.0-1', KO));
    // depmod saw it, and the initramfs built after the hook holds it
    expect(copy.ok(`grep -c weak-updates/acme_net.ko /lib/modules/${KO}/modules.dep`).stdout.trim()).toBe(
      '1',
    );
    expect(
      copy
        .ok(`lsinitramfs /boot/initrd.img-${KO} | grep -c 'modules/${KO}/weak-updates/acme_net.ko'`)
        .stdout.trim(),
    ).toBe('1');
  });

  it('update, not only install: dpkg -i of the next version replaces the old build cleanly', () => {
    copy.ok(`dpkg -i ${deb.v11}`);
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
    expect(copy.run('test -e /usr/lib/klpm/kmp/acme-net/1.0-1').status).not.toBe(0);
    expect(copy.ok(`dpkg-query -W -f='\${Version}' acme-net-kmp-${KO}`).stdout).toBe('1.1-1');
  });

  it('coexistence: two versions for one kernel install together, the newer is linked; removing it falls back', () => {
    // classic: two packages of one module for one kernel both own /lib/modules/K/updates/acme_net.ko
    const c1 = classicDeb(out, 'acme-net-classic-a', '1.1', KO, ko[`${KO}-1.1`]!);
    const c2 = classicDeb(out, 'acme-net-classic-b', '1.2', KO, ko[`${KO}-1.2`]!);
    copy.ok(`dpkg -i ${c1}`);
    const clash = copy.run(`dpkg -i ${c2}`);
    expect(clash.status).not.toBe(0);
    expect(clash.output).toContain(`trying to overwrite '/lib/modules/${KO}/updates/acme_net.ko'`);
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
    ).toEqual([`acme-net-1.2-kmp-${KO} 1.2-1`, `acme-net-kmp-${KO} 1.1-1`]);
    expect(link(KO)).toBe(store('acme-net', '1.2-1', KO));
    copy.ok(`dpkg -r acme-net-1.2-kmp-${KO}`);
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
  });

  it('removing the last build of a boot-critical KMP fails its prerm: dpkg keeps the package', () => {
    const r = copy.run(`dpkg -r acme-net-kmp-${KO}`);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`kernel ${KO} would lose boot-critical acme-net`);
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-net-kmp-${KO}`).stdout).toMatch(/ ok installed$/);
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
  });

  it('KABI break with a boot-critical module, one series (O to N): N is marked not bootable, O keeps its module', async () => {
    // classic: one package name for "the" module; its next version is built for the new kernel, and
    // the upgrade takes the old kernel's module away
    const old = classicDeb(out, 'acme-net-classic', '1.1', KO, ko[`${KO}-1.1`]!);
    const next = classicDeb(out, 'acme-net-classic', '1.2', KN, ko[`${KN}-1.2`]!);
    copy.ok(`dpkg -i ${old}`);
    expect(copy.run(`test -e /lib/modules/${KO}/updates/acme_net.ko`).status).toBe(0);
    copy.ok(`dpkg -i ${next}`);
    expect(copy.run(`test -e /lib/modules/${KO}/updates/acme_net.ko`).status).not.toBe(0);
    copy.ok('dpkg -r acme-net-classic');
    // klpm: installing the new kernel of the same series does not fail; klpm marks it and says so
    const install = await copy.okAsync(`dpkg -i --force-depends ${kernelDebs(KN).join(' ')}`);
    expect(install.output).toContain(
      `WARNING: kernel ${KN} is NOT BOOTABLE: no compatible build of boot-critical acme-net`,
    );
    const { result, json } = status();
    expect(result.status).toBe(1);
    expect(json.notBootable).toEqual([KN]);
    expect(result.status === 1 && copy.run('klpm kmp status').stdout).toContain(
      `kernel ${KN} is NOT BOOTABLE`,
    );
    // the old kernel keeps its module and its initramfs
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
    expect(
      copy
        .ok(`lsinitramfs /boot/initrd.img-${KO} | grep -c 'modules/${KO}/weak-updates/acme_net.ko'`)
        .stdout.trim(),
    ).toBe('1');
    // the new kernel's initramfs has no acme_net to hold (the classic way it would hold none either)
    expect(copy.run(`test -e /lib/modules/${KN}/weak-updates/acme_net.ko`).status).not.toBe(0);
    // a build for the new kernel makes it bootable
    copy.ok(`dpkg -i ${deb.v11forN}`);
    expect(link(KN)).toBe(store('acme-net', '1.1-1', KN));
    expect(status().json.notBootable).toEqual([]);
  });

  it('forward-only KABI: a build for update kernel N is not linked into the older, incompatible O; O keeps its own build', () => {
    // classic: "the" module of the series, N's build, dropped into every kernel's updates/ and depmod:
    // O now resolves acme_net to a module its KABI refuses
    const classic = classicDeb(out, 'acme-net-classic', '1.2', [KO, KN], ko[`${KN}-1.2`]!);
    copy.ok(`dpkg -i ${classic}`);
    expect(loads(KO, 'acme_net', 'filename')).toBe(`/lib/modules/${KO}/updates/acme_net.ko`);
    expect(kabiWarnings(KO)).toMatch(/updates\/acme_net\.ko disagrees about version of symbol module_layout/);
    copy.ok('dpkg -r acme-net-classic');
    // klpm: N's newer build (1.2) goes to N only; O keeps its own 1.1
    copy.ok(`dpkg -i ${deb.v12forN}`);
    expect(link(KN)).toBe(store('acme-net', '1.2-1', KN));
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
    expect(loads(KO, 'acme_net', 'version')).toBe('1.1');
    expect(loads(KN, 'acme_net', 'version')).toBe('1.2');
    expect(kabiWarnings(KO)).not.toContain('acme_net');
    const chosen = status().json.kernels.find((k) => k.kernel === KO)?.chosen;
    expect(chosen).toEqual([expect.objectContaining({ package: 'acme-net', version: '1.1-1' })]);
  });

  it('shadowing: a KMP rebuilt for N is linked for every compatible kernel, M included, though M has its own older build', async () => {
    // M: an older kernel of the series with N's KABI; its hook links N's acme-net build (compatible)
    await copy.okAsync(`dpkg -i --force-depends ${kernelDebs(KM).join(' ')}`);
    expect(link(KM)).toBe(store('acme-net', '1.2-1', KN));
    expect(status().json.notBootable).toEqual([]);
    // classic: 1.0 built for M in M's updates/, the rebuild 1.1 for N in N's; even a weak-modules
    // style link of N's build into M's weak-updates/ loses to M's updates/ (depmod's search order)
    copy.ok(`dpkg -i ${classicDeb(out, 'acme-blk-classic-m', '1.0', KM, ko[`blk-${KM}-1.0`]!, 'acme_blk')}`);
    copy.ok(`dpkg -i ${classicDeb(out, 'acme-blk-classic-n', '1.1', KN, ko[`blk-${KN}-1.1`]!, 'acme_blk')}`);
    copy.ok(
      `ln -s /lib/modules/${KN}/updates/acme_blk.ko /lib/modules/${KM}/weak-updates/acme_blk.ko && depmod -a ${KM}`,
    );
    expect(loads(KM, 'acme_blk', 'version')).toBe('1.0');
    expect(loads(KN, 'acme_blk', 'version')).toBe('1.1');
    copy.ok(
      `rm /lib/modules/${KM}/weak-updates/acme_blk.ko && dpkg -r acme-blk-classic-m acme-blk-classic-n`,
    );
    // klpm: M's own 1.0 first, then N's rebuild 1.1, which M gets too
    copy.ok(`dpkg -i ${deb.blk10forM}`);
    expect(link(KM, 'acme_blk.ko')).toBe(store('acme-blk', '1.0-1', KM, 'acme_blk'));
    copy.ok(`dpkg -i ${deb.blk11forN}`);
    expect(link(KM, 'acme_blk.ko')).toBe(store('acme-blk', '1.1-1', KN, 'acme_blk'));
    expect(link(KN, 'acme_blk.ko')).toBe(store('acme-blk', '1.1-1', KN, 'acme_blk'));
    expect(loads(KM, 'acme_blk', 'version')).toBe('1.1');
    // M's own build is still installed, and O (another KABI) gets neither
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-blk-kmp-${KM}`).stdout).toBe('install ok installed');
    // (test -e, not readlink -f: that prints the path of a missing link when its directory exists)
    expect(copy.run(`test -e /lib/modules/${KO}/weak-updates/acme_blk.ko`).status).not.toBe(0);
  });

  it('kernel removal: removing the kernel package removes its links and its registration', async () => {
    // classic: the module of a removed kernel stays behind in its updates/
    const classic = classicDeb(out, 'acme-net-classic', '1.2', KM, ko[`${KN}-1.2`]!);
    copy.ok(`dpkg -i ${classic}`);
    await copy.okAsync(`dpkg -r linux-headers-${KM} linux-image-${KM}`);
    expect(copy.run(`test -e /lib/modules/${KM}/updates/acme_net.ko`).status).toBe(0);
    copy.ok('dpkg -r acme-net-classic');
    // klpm: the kernel's postrm ran klpm's hook
    expect(copy.run(`test -e /var/lib/klpm/kmp/kernels/${KM}.json`).status).not.toBe(0);
    expect(copy.run(`test -e /lib/modules/${KM}/weak-updates`).status).not.toBe(0);
    expect(
      status()
        .json.kernels.map((k) => k.kernel)
        .sort(),
    ).toEqual([KO, KN].sort());
    // the KMP built for the removed kernel no longer serves anything: it goes without refusal
    copy.ok(`dpkg -r acme-blk-kmp-${KM}`);
    expect(link(KN, 'acme_blk.ko')).toBe(store('acme-blk', '1.1-1', KN, 'acme_blk'));
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
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
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-net-1.2-kmp-${KO}`).stdout).toMatch(
      /half-configured|unpacked/,
    );
    // the kernel still reaches its boot-critical module: the old build's link was never touched
    expect(link(KO)).toBe(store('acme-net', '1.1-1', KO));
    expect(copy.run(`test -f /lib/modules/${KO}/weak-updates/acme_net.ko`).status).toBe(0);
    // the unpacked build is in the store: klpm kmp link finishes what the postinst did not
    copy.ok('klpm kmp link');
    expect(link(KO)).toBe(store('acme-net', '1.2-1', KO));
    // and dpkg's own recovery runs the postinst again: adding the stored build is a no-op
    const configured = copy.ok('dpkg --configure -a');
    expect(configured.output).toContain('plan: nothing to change');
    expect(copy.ok(`dpkg-query -W -f='\${Status}' acme-net-1.2-kmp-${KO}`).stdout).toBe(
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
