import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The e2e livepatch sources (e2e/modules/klpm_lp_*.c) and the builder-style sources of
 * test/livepatch-module/builders/ compiled as plain relocatable objects with Debian's gcc and its
 * cross compilers, against the stand-in header. Cached under $KLPM_CACHE/livepatch-objects/<hash of
 * the sources>, built once (about 20 gcc runs).
 */
const REPO = new URL('../..', import.meta.url).pathname;
const STANDIN = join(REPO, 'test/livepatch-module/standin');
const E2E_MODULES = join(REPO, 'e2e/modules');
const BUILDERS = join(REPO, 'test/livepatch-module/builders');

export const ARCHES = {
  x86_64: 'gcc',
  arm64: 'aarch64-linux-gnu-gcc',
  ppc64le: 'powerpc64le-linux-gnu-gcc',
  s390x: 's390x-linux-gnu-gcc',
} as const;
export type Arch = keyof typeof ARCHES;

export const SAMPLE_MODULES = [
  'klpm_lp_sample',
  'klpm_lp_callbacks',
  'klpm_lp_shadow',
  'klpm_lp_state_v1',
  'klpm_lp_state_v2',
] as const;
export const BUILDER_SOURCES = ['kpatch_style', 'klp_build_style', 'replace_set_style'] as const;

const hasCompiler = (cc: string) => {
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function sourceHash(): string {
  const hash = createHash('sha256');
  const dirs = [STANDIN, E2E_MODULES, BUILDERS];
  for (const dir of dirs)
    for (const name of readdirSync(dir).sort())
      if (/\.[ch]$/.test(name)) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex').slice(0, 16);
}

/** Object paths per arch (only arches whose compiler is installed), each keyed by source name. */
export function livepatchObjects(): {
  objects: Partial<Record<Arch, Record<string, string>>>;
  missing: Arch[];
} {
  const base = join(
    process.env.KLPM_CACHE || join(homedir(), '.cache', 'klpm'),
    'livepatch-objects',
    sourceHash(),
  );
  const objects: Partial<Record<Arch, Record<string, string>>> = {};
  const missing: Arch[] = [];
  for (const [arch, cc] of Object.entries(ARCHES) as Array<[Arch, string]>) {
    const dir = join(base, arch);
    const names = [...SAMPLE_MODULES, ...BUILDER_SOURCES];
    const paths = Object.fromEntries(names.map((n) => [n, join(dir, `${n}.o`)]));
    if (!existsSync(dir)) {
      if (!hasCompiler(cc)) {
        missing.push(arch);
        continue;
      }
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      for (const name of names) {
        const source = (SAMPLE_MODULES as readonly string[]).includes(name)
          ? join(E2E_MODULES, `${name}.c`)
          : join(BUILDERS, `${name}.c`);
        execFileSync(cc, [
          '-c',
          '-O2',
          '-fno-pic',
          '-DKLPM_STANDALONE',
          `-DKBUILD_MODNAME="${name}"`,
          `-I${STANDIN}`,
          `-I${E2E_MODULES}`,
          '-o',
          join(tmp, `${name}.o`),
          source,
        ]);
      }
      mkdirSync(base, { recursive: true });
      renameSync(tmp, dir);
    }
    objects[arch] = paths;
  }
  return { objects, missing };
}
