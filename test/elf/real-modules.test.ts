import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readModule } from '../../src/elf/index.js';
import { listModuleFiles, readModuleFile } from '../../src/host/modules/module-files.js';
import { readSymversFile } from '../../src/host/modules/symvers-file.js';
import { InputError } from '../../src/input/index.js';
import { kabiPairFile, readKabiPair } from '../support/kabi-pair.js';

// Real Debian modules read by klpm and by kmod's own modinfo(8) and binutils' readelf: the answers
// must agree. The trees come from .ci/fetch-kernels.sh (pair.env).

const pairFile = kabiPairFile;
const pair = readKabiPair() ?? {};
const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const trees = [pair.KABI_A_MODULES, pair.KABI_XZ_MODULES].filter(
  (dir): dir is string => !!dir && existsSync(dir),
);
const skip = !has('modinfo')
  ? 'modinfo (package kmod) is not installed'
  : trees.length === 0
    ? `no Debian module tree cached (${pairFile}): run .ci/fetch-kernels.sh`
    : undefined;
if (skip) console.warn(`skipping the modinfo/readelf comparison: ${skip}`);

const field = (path: string, key: string) =>
  spawnSync('modinfo', ['-0', '-F', key, path], { encoding: 'utf8' })
    .stdout.split('\0')
    .filter((value) => value !== '');

describe.skipIf(skip !== undefined)('real modules', () => {
  it('read the same modinfo, signature and build ID as modinfo(8) and readelf', async () => {
    let checked = 0;
    for (const tree of trees) {
      const all = await listModuleFiles([tree]);
      const step = Math.max(1, Math.floor(all.length / 12));
      for (const path of all.filter((_, i) => i % step === 0)) {
        checked++;
        const info = await readModuleFile(path);
        expect(info.vermagic).toBe(field(path, 'vermagic')[0]);
        expect(info.srcversion).toBe(field(path, 'srcversion')[0]);
        expect(info.depends.join(',')).toBe(field(path, 'depends')[0] ?? '');
        expect(info.modinfo.alias ?? []).toEqual(field(path, 'alias'));
        expect(info.signed).toBe(field(path, 'signer').length > 0);
        if (path.endsWith('.ko') && has('readelf')) {
          const notes = spawnSync('readelf', ['-n', path], { encoding: 'utf8' }).stdout;
          expect(info.buildId).toBe(/Build ID: ([0-9a-f]+)/.exec(notes)?.[1]);
        }
      }
    }
    // a tree that lists no module would otherwise pass having compared nothing
    expect(checked).toBeGreaterThanOrEqual(12 * trees.length);
  });

  it.skipIf(!existsSync(pair.KABI_XZ_SYMVERS ?? ''))(
    "reads each export's CRC, GPL flag and namespace as the kernel's own Module.symvers lists them",
    async () => {
      const symvers = await readSymversFile(pair.KABI_XZ_SYMVERS!);
      const all = await listModuleFiles([pair.KABI_XZ_MODULES!]);
      const step = Math.max(1, Math.floor(all.length / 40));
      const chosen = all.filter(
        (path, i) => i % step === 0 || /\/(usb-storage|dm-mod|idxd_bus)\.ko/.test(path),
      );
      expect(chosen.length).toBeGreaterThanOrEqual(40);
      let namespaced = 0;
      for (const path of chosen) {
        const info = await readModuleFile(path);
        for (const exp of info.exports) {
          const entry = symvers.entries.get(exp.name);
          expect(entry, `${path}: ${exp.name}`).toBeDefined();
          expect(path).toContain(`/${entry!.module}.ko`);
          expect({ crc: exp.crc, gpl: exp.gpl, namespace: exp.namespace }).toEqual({
            crc: entry!.crc,
            gpl: entry!.exportType === 'EXPORT_SYMBOL_GPL',
            namespace: entry!.namespace,
          });
          if (exp.namespace !== undefined) namespaced++;
        }
      }
      expect(namespaced).toBeGreaterThan(0);
    },
  );

  it.skipIf(!existsSync(pair.KABI_A_MODULES ?? ''))(
    'returns ModuleInfo or InputError for 2,000 mutations of a real module',
    async () => {
      const path = (await listModuleFiles([pair.KABI_A_MODULES!])).find((file) =>
        file.endsWith('/dm-mod.ko'),
      );
      if (path === undefined) throw new Error(`no dm-mod.ko in ${pair.KABI_A_MODULES}: nothing to mutate`);
      const original = readFileSync(path);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 16 }),
          fc.option(fc.nat(), { nil: undefined }),
          (flips, cut) => {
            const bytes = Uint8Array.from(original);
            // aim most flips at the header and section headers, where offsets live
            const shoff = Number(new DataView(bytes.buffer).getBigUint64(0x28, true));
            for (const [at, value] of flips)
              bytes[
                at % 3 === 0
                  ? at % 64
                  : at % 3 === 1
                    ? shoff + (at % (bytes.length - shoff))
                    : at % bytes.length
              ] = value;
            try {
              readModule(cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length), path);
            } catch (error) {
              if (!(error instanceof InputError)) throw error;
            }
          },
        ),
        { numRuns: 2000, seed: 11 },
      );
    },
  );
});
