import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listModuleFiles, readModuleFile } from '../../src/host/module-files.js';

// Real Debian modules read by klpm and by kmod's own modinfo(8) and binutils' readelf: the answers
// must agree. The trees come from .ci/fetch-kernels.sh (pair.env).

const cache = process.env.KLPM_CACHE ?? join(process.env.HOME ?? '/nonexistent', '.cache', 'klpm');
const pairFile = join(cache, 'kabi', 'pair.env');
const pair = existsSync(pairFile)
  ? Object.fromEntries(
      readFileSync(pairFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
  : {};
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
    for (const tree of trees) {
      const all = await listModuleFiles([tree]);
      const step = Math.floor(all.length / 12);
      for (const path of all.filter((_, i) => i % step === 0)) {
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
  });
});
