import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeModule } from '../../support/elf-writer.js';
import { tempRoot } from '../../support/kmp-root.js';
import { runCli } from '../../support/run-cli.js';

// The loader's vermagic rules (docs/kmp.md K-VERMAGIC, K-NOVERSIONS) through the whole command path:
// kernels laid down as files (a 6.1 ABI with modversions under /lib/modules, a 7.3 one without under
// /usr/lib/modules as Debian's 7.x packages install it), KMP modules written as ELF files, read by
// the module reader at `kmp add`. The cases are those e2e/kmp-oracle.test.ts proves on the real
// kernels: another ABI with equal CRCs, without __versions, the -rt flags, another 7.x release.

const K61 = '6.1.0-57-amd64';
const K73 = '7.3.4+deb13-amd64';
const FLAGS = 'SMP preempt mod_unload modversions ';
const FLAGS73 = 'SMP preempt mod_unload ';
const PRINTK = 0x92997ed8;
const KMALLOC = 0x606e9d01;

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function put(path: string, bytes: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

/** An ELF module: `versions` given means a `__versions` section with those CRCs. */
function elf(name: string, vermagic: string, versions?: Array<[string, number]>) {
  return writeModule({
    modinfo: [`name=${name}`, 'license=GPL', `vermagic=${vermagic}`],
    ...(versions === undefined ? {} : { versions: versions.map(([n, crc]) => ({ name: n, crc })) }),
    imports: [{ name: '_printk' }, { name: 'kmalloc_trace' }],
  });
}

/** A kernel as its packages lay it down: a few in-tree modules (its vermagic) and Module.symvers. */
function installKernel(r: string, release: string, modversions: boolean): void {
  const dir = join(r, modversions ? 'lib/modules' : 'usr/lib/modules', release);
  const magic = `${release} ${modversions ? FLAGS : FLAGS73}`;
  const crcs: Array<[string, number]> = [
    ['_printk', modversions ? PRINTK : 0],
    ['kmalloc_trace', modversions ? KMALLOC : 0],
  ];
  for (const m of ['ext4', 'xfs', 'dm_mod'])
    put(join(dir, 'kernel', `${m}.ko`), elf(m, magic, modversions ? crcs : undefined));
  put(
    join(r, 'usr/src', `linux-headers-${release}`, 'Module.symvers'),
    crcs
      .map(([s, crc]) => `0x${crc.toString(16).padStart(8, '0')}\t${s}\tvmlinux\tEXPORT_SYMBOL\t\n`)
      .join(''),
  );
}

/** Adds one KMP build (flavor amd64, so that KR-FLAVOR does not decide) and says whether it was linked. */
async function linked(
  r: string,
  kernel: string,
  pkg: string,
  builtFor: string,
  module: Uint8Array,
): Promise<{ linked: boolean; reasons: string[] }> {
  const dir = join(r, 'pkgs', pkg);
  const file = `${pkg.replaceAll('-', '_')}.ko`;
  put(join(dir, file), module);
  writeFileSync(
    join(dir, 'kmp.json'),
    JSON.stringify({ package: pkg, version: '1', kernel: builtFor, flavor: 'amd64', modules: [{ file }] }),
  );
  const added = await runCli(['kmp', 'add', dir, '--root', r, '--no-depmod', '--json']);
  expect(added.code, added.stderr).toBe(0);
  const out = JSON.parse(added.stdout) as {
    kernels: Array<{
      kernel: string;
      rejected: Array<{ package: string; reasons: Array<{ kind: string }> }>;
    }>;
  };
  const rejected = out.kernels.find((k) => k.kernel === kernel)?.rejected.find((x) => x.package === pkg);
  return {
    linked: existsSync(join(r, 'lib/modules', kernel, 'weak-updates', file)),
    reasons: rejected?.reasons.map((x) => x.kind) ?? [],
  };
}

describe('the loader checks on kernels and modules made as files', () => {
  it('6.1 (modversions): another ABI with equal CRCs links; no __versions, other CRCs or the -rt flags do not', async () => {
    const r = tempRoot();
    roots.push(r);
    installKernel(r, K61, true);
    expect((await runCli(['kmp', 'add-kernel', K61, '--root', r, '--no-depmod'])).code).toBe(0);
    const crcs: Array<[string, number]> = [
      ['_printk', PRINTK],
      ['kmalloc_trace', KMALLOC],
    ];
    const older = '6.1.0-56-amd64';
    expect(await linked(r, K61, 'match-kmp', older, elf('match_kmp', `${older} ${FLAGS}`, crcs))).toEqual({
      linked: true,
      reasons: [],
    });
    expect(
      await linked(r, K61, 'plain-kmp', older, elf('plain_kmp', `${older} SMP preempt mod_unload `)),
    ).toEqual({ linked: false, reasons: ['no-versions'] });
    const drifted: Array<[string, number]> = [
      ['_printk', PRINTK],
      ['kmalloc_trace', 0x83acf7c5],
    ];
    expect(
      await linked(
        r,
        K61,
        'drift-kmp',
        '6.1.0-54-amd64',
        elf('drift_kmp', `6.1.0-54-amd64 ${FLAGS}`, drifted),
      ),
    ).toEqual({ linked: false, reasons: ['crc'] });
    const rt = '6.1.0-57-rt-amd64';
    expect(
      await linked(r, K61, 'rt-kmp', rt, elf('rt_kmp', `${rt} SMP preempt_rt mod_unload modversions `, crcs)),
    ).toEqual({ linked: false, reasons: ['vermagic'] });
  });

  it('7.3 (no modversions, merged /usr): only a build for the very release links, and its link resolves', async () => {
    const r = tempRoot();
    roots.push(r);
    // trixie is merged /usr: /lib is a relative link to usr/lib
    mkdirSync(join(r, 'usr/lib'), { recursive: true });
    symlinkSync('usr/lib', join(r, 'lib'));
    installKernel(r, K73, false);
    const added = await runCli(['kmp', 'add-kernel', K73, '--root', r, '--no-depmod']);
    expect(added.stderr).toBe('');
    expect(await linked(r, K73, 'own-kmp', K73, elf('own_kmp', `${K73} ${FLAGS73}`))).toEqual({
      linked: true,
      reasons: [],
    });
    // `..` in the link is taken from /usr/lib/modules/K/weak-updates, where the directory really is
    const link = join(r, 'usr/lib/modules', K73, 'weak-updates', 'own_kmp.ko');
    expect(realpathSync(link)).toBe(realpathSync(join(r, 'usr/lib/klpm/kmp/own-kmp/1', K73, 'own_kmp.ko')));
    // klpm reads its own link back: nothing left to do
    const again = JSON.parse((await runCli(['kmp', 'resolve', '--root', r, '--json'])).stdout) as {
      operations: unknown[];
    };
    expect(again.operations).toEqual([]);
    const k72 = '7.2.12+deb13-amd64';
    expect(await linked(r, K73, 'other-kmp', k72, elf('other_kmp', `${k72} ${FLAGS73}`))).toEqual({
      linked: false,
      reasons: ['vermagic'],
    });
    const rt = '7.3.4+deb13-rt-amd64';
    expect(await linked(r, K73, 'rt-kmp', rt, elf('rt_kmp', `${rt} SMP preempt_rt mod_unload `))).toEqual({
      linked: false,
      reasons: ['vermagic'],
    });
  });
});
