import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModuleFiles } from '../../../src/host/modules/module-files.js';
import { writeModule } from '../../support/elf-writer.js';
import { kabiPairFile, readKabiPair } from '../../support/kabi-pair.js';
import { runCli } from '../../support/run-cli.js';

// Two real Debian kernels laid into a fake root as dpkg would have unpacked them (module files
// symlinked into the cache, a sample of each tree), registered by `klpm kmp add-kernel` from those
// files; three KMPs built (by test/support/elf-writer) against the kernels' real symvers are added,
// and klpm's choice for each (kernel, KMP) is compared with real depmod's verdict on the same tree.
// The 6.1 kernel's own headers are not cached: the 6.1.0-50 Module.symvers stands in as its
// /boot/symvers-<K>.gz (the same ABI family, partial drift), so some of its in-tree modules disagree.

const depmod = ['/usr/sbin/depmod', '/sbin/depmod'].find((path) => existsSync(path));
const pair = readKabiPair();
const needed = ['KABI_A_MODULES', 'KABI_B_SYMVERS', 'KABI_XZ_MODULES', 'KABI_XZ_SYMVERS'];
const skipReason =
  depmod === undefined
    ? 'depmod (package kmod) is not installed'
    : pair === undefined
      ? `no kernel pair cached at ${kabiPairFile}: run .ci/fetch-kernels.sh`
      : needed.some((key) => !existsSync(pair[key] ?? ''))
        ? `cached kernel trees named in ${kabiPairFile} are missing: run .ci/fetch-kernels.sh`
        : undefined;
if (skipReason !== undefined) console.warn(`skipping the real-kernel add-kernel test: ${skipReason}`);

const K61 = pair?.KABI_A_RELEASE ?? '';
const K612 = pair?.KABI_XZ_RELEASE ?? '';
const work = mkdtempSync(join(tmpdir(), 'klpm-kmp-real-'));
const root = join(work, 'root');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** vmlinux symbol -> CRC of a Module.symvers text. */
function vmlinuxOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [crc, symbol, module] = line.split('\t');
    if (module === 'vmlinux' && crc && symbol) out.set(symbol, Number.parseInt(crc, 16));
  }
  return out;
}

/** Symlinks a sample of a real tree (every n-th module and all of drivers/md) into the fake root. */
async function layTree(from: string, release: string, count: number): Promise<number> {
  const all = await listModuleFiles([from]);
  const step = Math.max(1, Math.floor(all.length / count));
  const chosen = all.filter((path, i) => i % step === 0 || path.includes('/drivers/md/dm-'));
  for (const path of chosen) {
    const link = join(root, 'lib/modules', release, relative(from, path));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(path, link);
  }
  return chosen.length;
}

interface Kmp {
  readonly pkg: string;
  readonly builtFor: string;
  readonly imports: ReadonlyArray<readonly [string, number]>;
}

function packageDir(kmp: Kmp): string {
  const dir = join(work, 'pkgs', kmp.pkg);
  mkdirSync(dir, { recursive: true });
  const name = kmp.pkg.replaceAll('-', '_');
  writeFileSync(
    join(dir, `${name}.ko`),
    writeModule({
      modinfo: [
        `name=${name}`,
        'license=GPL',
        `vermagic=${kmp.builtFor} SMP preempt mod_unload modversions `,
      ],
      versions: kmp.imports.map(([symbol, crc]) => ({ name: symbol, crc })),
      imports: kmp.imports
        .filter(([symbol]) => symbol !== 'module_layout')
        .map(([symbol]) => ({ name: symbol })),
    }),
  );
  // only the file: klpm reads the module itself
  writeFileSync(
    join(dir, 'kmp.json'),
    JSON.stringify({
      package: kmp.pkg,
      version: '1.0-1',
      kernel: kmp.builtFor,
      modules: [{ file: `${name}.ko` }],
    }),
  );
  return dir;
}

/** depmod -e -E over the kernel's tree plus every KMP module in extra/: the packages it warns about. */
function depmodRejects(release: string, symvers: string, kmps: ReadonlyArray<Kmp>): Set<string> {
  const droot = join(work, `depmod-${release}`);
  const tree = join(root, 'lib/modules', release);
  for (const path of spawnSync('find', [tree, '-name', '*.ko*'], { encoding: 'utf8' }).stdout.split('\n')) {
    if (path === '' || path.includes('/weak-updates/')) continue;
    const link = join(droot, 'lib/modules', release, relative(tree, path));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(path, link);
  }
  for (const kmp of kmps) {
    const name = kmp.pkg.replaceAll('-', '_');
    const target = join(droot, 'lib/modules', release, 'extra', `${name}.ko`);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(work, 'pkgs', kmp.pkg, `${name}.ko`), target);
  }
  const run = spawnSync(depmod!, ['-b', droot, '-e', '-E', symvers, '-n', release], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  expect(run.status).toBe(0);
  const rejects = new Set<string>();
  for (const kmp of kmps)
    if (run.stderr.split('\n').some((line) => line.includes(`/extra/${kmp.pkg.replaceAll('-', '_')}.ko `)))
      rejects.add(kmp.pkg);
  return rejects;
}

const kmp = (args: string[]) => runCli(['kmp', ...args, '--root', root, '--no-depmod', '--json']);
let sym61 = new Map<string, number>();
let sym612 = new Map<string, number>();
let kmps: Kmp[] = [];
let counts = { k61: 0, k612: 0 };

beforeAll(async () => {
  if (skipReason !== undefined) return;
  counts = {
    k61: await layTree(pair!.KABI_A_MODULES!, K61, 250),
    k612: await layTree(pair!.KABI_XZ_MODULES!, K612, 100),
  };
  const text61 = readFileSync(pair!.KABI_B_SYMVERS!, 'utf8');
  mkdirSync(join(root, 'boot'), { recursive: true });
  writeFileSync(join(root, 'boot', `symvers-${K61}.gz`), gzipSync(text61));
  const headers = join(root, 'usr/src', `linux-headers-${K612}`);
  mkdirSync(headers, { recursive: true });
  symlinkSync(pair!.KABI_XZ_SYMVERS!, join(headers, 'Module.symvers'));
  sym61 = vmlinuxOf(text61);
  sym612 = vmlinuxOf(readFileSync(pair!.KABI_XZ_SYMVERS!, 'utf8'));
  const shared = [...sym61].filter(([s, crc]) => sym612.get(s) === crc).map(([s]) => s);
  const drifted = [...sym61].filter(([s, crc]) => sym612.has(s) && sym612.get(s) !== crc).map(([s]) => s);
  const at61 = (s: string) => [s, sym61.get(s)!] as const;
  const at612 = (s: string) => [s, sym612.get(s)!] as const;
  const dm612 = readFileSync(pair!.KABI_XZ_SYMVERS!, 'utf8')
    .split('\n')
    .map((line) => line.split('\t'))
    .find((f) => f[1] === 'dm_register_target' && f[2] === 'drivers/md/dm-mod')!;
  kmps = [
    // symbols whose CRC both kernels share: fits both
    { pkg: 'portable-kmp', builtFor: K61, imports: shared.slice(0, 3).map(at61) },
    // a symbol that drifted, and 6.1's module_layout: fits its own kernel only
    {
      pkg: 'pinned-kmp',
      builtFor: K61,
      imports: [at61(shared[0]!), at61(drifted[0]!), at61('module_layout')],
    },
    // a device-mapper target: needs dm-mod's export, an in-tree module read from its .ko.xz
    {
      pkg: 'dm-kmp',
      builtFor: K612,
      imports: [at612(shared[0]!), ['dm_register_target', Number.parseInt(dm612[0]!, 16)]],
    },
  ];
}, 120_000);

describe('klpm kmp add-kernel on real Debian kernels', () => {
  it.skipIf(skipReason !== undefined)(
    'registers two kernels from their files and chooses for each KMP what depmod accepts',
    async () => {
      const initrd = join(work, 'initrd.list');
      writeFileSync(initrd, `usr/lib/modules/${K61}/kernel/drivers/md/dm-mod.ko\n`);
      const a = await kmp(['add-kernel', K61, '--initrd-modules', initrd]);
      expect(a.stderr).toBe('');
      expect(JSON.parse(a.stdout).kernelRead).toEqual({
        release: K61,
        flavor: 'amd64',
        symvers: join(root, 'boot', `symvers-${K61}.gz`),
        modules: counts.k61,
        initrd: ['dm_mod'],
        initrdFile: initrd,
      });
      const b = await kmp(['add-kernel', K612]);
      expect(b.stderr).toBe('');
      expect(JSON.parse(b.stdout).kernelRead).toMatchObject({
        symvers: join(root, 'usr/src', `linux-headers-${K612}`, 'Module.symvers'),
        modules: counts.k612,
        initrdFile: null,
      });
      for (const k of kmps) expect((await kmp(['add', packageDir(k)])).code).toBe(0);

      const resolved = JSON.parse((await kmp(['resolve'])).stdout);
      const chosen = (release: string) =>
        resolved.kernels
          .find((k: { kernel: string }) => k.kernel === release)
          .chosen.map((c: { package: string }) => c.package);
      // worked out from the two symvers files above
      expect(chosen(K61)).toEqual(expect.arrayContaining(['pinned-kmp', 'portable-kmp']));
      expect(chosen(K612)).toEqual(expect.arrayContaining(['dm-kmp', 'portable-kmp']));
      expect(chosen(K612)).not.toContain('pinned-kmp');
      const pinned = resolved.kernels
        .find((k: { kernel: string }) => k.kernel === K612)
        .rejected.find((r: { package: string }) => r.package === 'pinned-kmp');
      const drifted = kmps[1]!.imports[1]![0];
      expect(pinned.reasons).toContainEqual({
        kind: 'crc',
        module: 'pinned_kmp',
        symbol: drifted,
        // CRCs in JSON as Module.symvers writes them
        wanted: `0x${sym61.get(drifted)!.toString(16).padStart(8, '0')}`,
        found: `0x${sym612.get(drifted)!.toString(16).padStart(8, '0')}`,
      });

      // depmod's verdict on the same trees: a KMP module it warns about is one klpm must not choose
      for (const [release, symvers] of [
        // depmod -E reads plain text only, so the file the .gz was made of
        [K61, pair!.KABI_B_SYMVERS!],
        [K612, pair!.KABI_XZ_SYMVERS!],
      ] as const) {
        const rejects = depmodRejects(release, symvers, kmps);
        const accepted = kmps.map((k) => k.pkg).filter((p) => !rejects.has(p));
        expect([...chosen(release)].sort(), `kernel ${release}`).toEqual(accepted.sort());
      }
      // the links are there, pointing at the store
      const link = join(root, 'lib/modules', K612, 'weak-updates', 'portable_kmp.ko');
      expect(readFileSync(link).length).toBeGreaterThan(0);
    },
    120_000,
  );
});
