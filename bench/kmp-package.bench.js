// One KMP package installed with 3 kernels installed: the whole `dpkg -i` transaction, maintainer
// scripts included, with klpm's scripts (`klpm kmp add` of the one build: one resolution, one depmod
// per kernel whose links changed) against the same package whose postinst does what weak-modules2
// does (three full depmods per kernel of the flavor: `add_kmp`, `run_depmod_build_initrd`), measured
// in the same run, alternating. Goal: klpm <= 0.2x. Both run in a private copy of this machine (an
// overlay over `/` in a mount namespace, entered with chroot, as e2e/harness/system-copy.ts makes
// it); nothing on the machine changes. The kernels are Debian's real trees cached by
// .ci/e2e-setup.sh and .ci/fetch-kernels.sh (6.1.0-57 and 6.12.118 with their own symvers, 6.1.0-53
// with the oldest cached 6.1 headers' symvers), linked into the copy's /lib/modules and registered
// with klpm; acme_net is built by the real kbuild against 6.1.0-57's headers.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GOAL = 0.2;
const ROUNDS = 3;
const repo = fileURLToPath(new URL('..', import.meta.url));
const cache = process.env.KLPM_CACHE || join(homedir(), '.cache', 'klpm');
const e2e = (k) => join(cache, 'e2e', 'kernels', k, 'root');
const kabi = (() => {
  const file = join(cache, 'kabi', 'pair.env');
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
})();
const K61 = '6.1.0-57-amd64';
const K612 = '6.12.118+deb12-amd64';
const kernels = [
  {
    release: K61,
    modules: join(e2e(K61), 'lib/modules', K61),
    symvers: join(e2e(K61), 'usr/src', `linux-headers-${K61}`, 'Module.symvers'),
  },
  {
    release: K612,
    modules: join(e2e(K612), 'lib/modules', K612),
    symvers: join(e2e(K612), 'usr/src', `linux-headers-${K612}`, 'Module.symvers'),
  },
  { release: kabi.KABI_A_RELEASE, modules: kabi.KABI_A_MODULES, symvers: kabi.KABI_B_SYMVERS },
];
const why =
  process.getuid?.() !== 0
    ? 'needs root (mount namespace, overlayfs, chroot)'
    : kernels.some((k) => !k.release || !existsSync(k.modules) || !existsSync(k.symvers))
      ? 'needs the kernels of .ci/e2e-setup.sh and .ci/fetch-kernels.sh under $KLPM_CACHE'
      : spawnSync('sh', ['-c', 'command -v unshare && command -v dpkg-deb && command -v make']).status !== 0
        ? 'needs unshare, dpkg-deb and make'
        : undefined;
if (why) {
  console.log(`kmp-package: skipped, ${why}`);
  process.exit(0);
}

const q = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const work = mkdtempSync(join(tmpdir(), 'klpm-bench-kmp-package-'));
const upper = join(work, 'upper');
for (const d of ['upper', 'work', 'merged']) mkdirSync(join(work, d));
function inCopy(script) {
  const m = join(work, 'merged');
  const outer = [
    'set -e',
    `mount -t overlay overlay -o ${q(`lowerdir=/,upperdir=${upper},workdir=${join(work, 'work')}`)} ${q(m)}`,
    `mount --bind /proc ${q(`${m}/proc`)}`,
    `mount --bind /dev ${q(`${m}/dev`)}`,
    `mount -t sysfs sysfs ${q(`${m}/sys`)}`,
    `exec chroot ${q(m)} /bin/sh -c ${q(script)}`,
  ].join('\n');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', outer], {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`in the copy: ${script}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

try {
  mkdirSync(join(upper, 'usr/bin'), { recursive: true });
  writeFileSync(
    join(upper, 'usr/bin/klpm'),
    `#!/bin/sh\nexec ${process.execPath} ${join(repo, 'bin/klpm.js')} "$@"\n`,
  );
  chmodSync(join(upper, 'usr/bin/klpm'), 0o755);
  // the module, and its build directory
  const src = join(work, 'src');
  mkdirSync(src);
  copyFileSync(join(repo, 'e2e/kmp-packages/acme_net.c'), join(src, 'acme_net.c'));
  writeFileSync(join(src, 'Kbuild'), `obj-m := acme_net.o\nccflags-y := -DACME_VERSION='"1.0"'\n`);
  const make = spawnSync(
    'make',
    ['-s', '-C', join(e2e(K61), 'usr/src', `linux-headers-${K61}`), `M=${src}`, 'modules'],
    { encoding: 'utf8' },
  );
  if (make.status !== 0) throw new Error(make.stderr);
  const build = join(work, 'build');
  mkdirSync(build);
  copyFileSync(join(src, 'acme_net.ko'), join(build, 'acme_net.ko'));
  writeFileSync(
    join(build, 'kmp.json'),
    JSON.stringify({
      package: 'acme-net',
      version: '1.0-1',
      kernel: K61,
      modules: [{ file: 'acme_net.ko' }],
    }),
  );
  const out = join(work, 'out');
  const pack = spawnSync(
    process.execPath,
    [join(repo, 'bin/klpm.js'), 'kmp', 'pack', build, '--format', 'deb', '--out', out, '--json'],
    { encoding: 'utf8' },
  );
  if (pack.status !== 0) throw new Error(pack.stderr);
  const klpmDeb = JSON.parse(pack.stdout).packages[0].file;
  // the classic package: the same files, scripts doing what weak-modules2 does
  const tree = join(work, 'classic');
  spawnSync('dpkg-deb', ['-R', klpmDeb, tree]);
  const depmods = kernels
    .map((k) => `depmod -a ${k.release}; depmod -a ${k.release}; depmod -a ${k.release}`)
    .join('\n');
  writeFileSync(
    join(tree, 'DEBIAN/postinst'),
    `#!/bin/sh\nset -e\n[ "$1" = configure ] || exit 0\n${depmods}\n`,
  );
  writeFileSync(join(tree, 'DEBIAN/prerm'), '#!/bin/sh\nexit 0\n');
  const classicDeb = join(work, 'classic.deb');
  spawnSync('dpkg-deb', ['--build', '--root-owner-group', tree, classicDeb]);
  // the kernels: Debian's trees, linked in and registered
  inCopy(
    'mkdir -p /lib/modules && ' +
      kernels
        .map(
          (k) =>
            `ln -s ${q(k.modules)} /lib/modules/${k.release} && klpm kmp add-kernel ${k.release} --symvers ${q(k.symvers)} >/dev/null`,
        )
        .join(' && '),
  );
  const time = (script) => {
    const t = process.hrtime.bigint();
    inCopy(script);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const empty = time('true'); // mounting the copy, paid by both
  const klpmRuns = [];
  const classicRuns = [];
  for (let i = 0; i < ROUNDS; i++) {
    klpmRuns.push(time(`dpkg -i ${klpmDeb} >/dev/null`) - empty);
    inCopy('dpkg -r acme-net-kmp-6.1.0-57-amd64 >/dev/null');
    classicRuns.push(time(`dpkg -i ${classicDeb} >/dev/null`) - empty);
    inCopy('dpkg -r acme-net-kmp-6.1.0-57-amd64 >/dev/null');
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const k = median(klpmRuns);
  const c = median(classicRuns);
  const ratio = k / c;
  console.log(
    `kernels: ${kernels.map((x) => x.release).join(', ')}; load average ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ')}`,
  );
  console.log(
    `dpkg -i, weak-modules2-like scripts (depmod x3 per kernel): ${c.toFixed(0)} ms (median of ${ROUNDS})`,
  );
  console.log(
    `dpkg -i, klpm kmp pack scripts (klpm kmp add):             ${k.toFixed(0)} ms (median of ${ROUNDS})`,
  );
  console.log(`ratio ${ratio.toFixed(3)} (goal <= ${GOAL}): ${ratio <= GOAL ? 'met' : 'MISSED'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
