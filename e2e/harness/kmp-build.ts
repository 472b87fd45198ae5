import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CACHE } from './system-copy.js';

const SOURCE = new URL('../kmp-packages/acme_net.c', import.meta.url).pathname;

/**
 * acme_net.ko at `version`, built out of tree by the real kbuild against one kernel's headers
 * (`headers`: a linux-headers-K directory whose Makefile finds its common tree). Cached under
 * $KLPM_CACHE/kmp-packages/modules by release, version and source.
 */
export function buildAcme(headers: string, release: string, version: string, module = 'acme_net'): string {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const dir = join(CACHE, 'modules', `${module}-${release}-${version}-${hash}`);
  const ko = join(dir, `${module}.ko`);
  if (existsSync(ko)) return ko;
  const work = mkdtempSync(join(tmpdir(), 'klpm-acme-'));
  try {
    copyFileSync(SOURCE, join(work, `${module}.c`));
    writeFileSync(join(work, 'Kbuild'), `obj-m := ${module}.o\nccflags-y := -DACME_VERSION='"${version}"'\n`);
    const make = spawnSync('make', ['-s', '-C', headers, `M=${work}`, 'modules'], { encoding: 'utf8' });
    if (make.status !== 0)
      throw new Error(`building acme_net ${version} for ${release} failed:\n${make.stdout}${make.stderr}`);
    mkdirSync(`${dir}.tmp`, { recursive: true });
    copyFileSync(join(work, `${module}.ko`), join(`${dir}.tmp`, `${module}.ko`));
    rmSync(dir, { recursive: true, force: true });
    renameSync(`${dir}.tmp`, dir);
    return ko;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A KMP build directory as `klpm kmp add` and `klpm kmp pack` read it: kmp.json and the module. */
export function buildDir(
  parent: string,
  build: { package: string; version: string; kernel: string; bootCritical: boolean; ko: string },
): string {
  const dir = join(parent, `${build.package}-${build.version}-${build.kernel}`);
  mkdirSync(dir, { recursive: true });
  const file = basename(build.ko);
  copyFileSync(build.ko, join(dir, file));
  writeFileSync(
    join(dir, 'kmp.json'),
    `${JSON.stringify({ package: build.package, version: build.version, kernel: build.kernel, bootCritical: build.bootCritical, modules: [{ file }] }, null, 2)}\n`,
  );
  return dir;
}
