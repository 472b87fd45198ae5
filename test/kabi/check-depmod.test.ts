import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listModuleFiles, readModuleFiles } from '../../src/host/modules/module-files.js';
import { readSymversFile } from '../../src/host/modules/symvers-file.js';
import { checkModules } from '../../src/kabi/index.js';
import { kabiPairFile, readKabiPair } from '../support/kabi-pair.js';

// Differential test: real Debian modules of one 6.1 ABI against the Module.symvers of another,
// checked by klpm and by the real depmod (Debian's kmod); the warnings must be the same set.
// .ci/fetch-kernels.sh fetches and extracts the pair and writes pair.env.

const pairFile = kabiPairFile;
const depmod = ['/usr/sbin/depmod', '/sbin/depmod'].find((path) => existsSync(path));
const pair = readKabiPair();
const skipReason =
  depmod === undefined
    ? 'depmod (package kmod) is not installed'
    : pair === undefined
      ? `no kernel pair cached at ${pairFile}: run .ci/fetch-kernels.sh`
      : !existsSync(pair.KABI_A_MODULES ?? '') || !existsSync(pair.KABI_B_SYMVERS ?? '')
        ? `cached kernel trees named in ${pairFile} are missing: run .ci/fetch-kernels.sh`
        : undefined;
if (skipReason !== undefined) console.warn(`skipping the depmod differential test: ${skipReason}`);

const WARNING = /^depmod: WARNING: (.+) (needs unknown symbol|disagrees about version of symbol) (\S+)$/;
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Copies `chosen` into a fresh tree, runs depmod and klpm on it, returns both warning sets. */
async function both(modulesDir: string, release: string, symvers: string, chosen: ReadonlyArray<string>) {
  const root = mkdtempSync(join(tmpdir(), 'klpm-depmod-'));
  roots.push(root);
  const copies = chosen.map((path) => {
    const copy = join(root, 'lib', 'modules', release, relative(modulesDir, path));
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(path, copy);
    return copy;
  });
  const run = spawnSync(depmod!, ['-b', root, '-e', '-E', symvers, '-n', release], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  expect(run.status).toBe(0);
  const theirs = new Set<string>();
  for (const line of run.stderr.split('\n')) {
    const match = WARNING.exec(line);
    if (match) theirs.add(`${match[1]} ${match[2]!.startsWith('needs') ? 'unknown' : 'crc'} ${match[3]}`);
  }
  const result = checkModules(await readSymversFile(symvers), await readModuleFiles(copies));
  const ours = new Set(
    result.modules.flatMap((module) => module.problems.map((p) => `${module.path} ${p.kind} ${p.symbol}`)),
  );
  return { copies, theirs, ours, result };
}

describe('klpm kmp check against real depmod', () => {
  it.skipIf(skipReason !== undefined)(
    'gives the same (module, symbol, kind) set as depmod -e -E on a few hundred real modules (partial drift)',
    async () => {
      const all = await listModuleFiles([pair!.KABI_A_MODULES!]);
      // every n-th module, plus device-mapper whose modules import from each other
      const step = Math.max(1, Math.floor(all.length / 250));
      const chosen = all.filter((path, i) => i % step === 0 || path.includes('/drivers/md/'));
      const { copies, theirs, ours, result } = await both(
        pair!.KABI_A_MODULES!,
        pair!.KABI_A_RELEASE!,
        pair!.KABI_B_SYMVERS!,
        chosen,
      );
      expect(copies.length).toBeGreaterThan(200);
      // partial drift: some modules still load, others disagree about CRCs
      expect([...theirs].some((entry) => entry.includes(' crc '))).toBe(true);
      expect(result.modules.some((module) => module.problems.length === 0)).toBe(true);
      expect([...ours].sort()).toEqual([...theirs].sort());
    },
  );

  it.skipIf(skipReason !== undefined || !existsSync(pair?.KABI_XZ_MODULES ?? ''))(
    'agrees with depmod on .ko.xz modules of a 6.12 kernel against a 6.1 symvers (module_layout changed)',
    async () => {
      const all = await listModuleFiles([pair!.KABI_XZ_MODULES!]);
      const step = Math.max(1, Math.floor(all.length / 120));
      const chosen = all.filter((path, i) => i % step === 0 || path.includes('/drivers/md/dm-'));
      const { theirs, ours } = await both(
        pair!.KABI_XZ_MODULES!,
        pair!.KABI_XZ_RELEASE!,
        pair!.KABI_B_SYMVERS!,
        chosen,
      );
      expect(chosen.every((path) => path.endsWith('.ko.xz'))).toBe(true);
      expect([...theirs].some((entry) => entry.includes(' unknown '))).toBe(true);
      expect([...ours].sort()).toEqual([...theirs].sort());
    },
  );
});
