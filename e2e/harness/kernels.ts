import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The Debian kernels that .ci/e2e-setup.sh prepared under $KLPM_CACHE/e2e: for each, its vmlinuz, the
 * busybox initramfs and the e2e test modules built against its headers.
 */

/** One prepared kernel. */
export interface E2eKernel {
  /** `uname -r`, e.g. 6.1.0-56-amd64 */
  release: string;
  /** 6.1, 6.12 or 7.3: the fixtures directory name, stable across Debian ABI bumps */
  series: string;
  vmlinuz: string;
  initramfs: string;
  /** directory holding klpm_e2e_target.ko, klpm_e2e_v1.ko, klpm_e2e_v2.ko */
  modules: string;
}

/** The e2e/ directory of this checkout. */
export const E2E_DIR = new URL('..', import.meta.url).pathname;

/** $KLPM_CACHE/e2e, as .ci/e2e-setup.sh computes it. */
export function e2eCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.KLPM_CACHE || join(homedir(), '.cache', 'klpm'), 'e2e');
}

/** The hash .ci/e2e-setup.sh names the modules directory by: sources of e2e/modules and the guest's /init. */
export function moduleSourceHash(): string {
  const dir = join(E2E_DIR, 'modules');
  const files = readdirSync(dir)
    .sort()
    .map((name) => join(dir, name));
  const hash = createHash('sha256');
  for (const file of [...files, join(E2E_DIR, 'guest', 'init.sh')]) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** The kernel series a release belongs to: 6.1.0-56-amd64 -> 6.1, 6.12.117+deb12-amd64 -> 6.12, 7.3.4+deb13-amd64 -> 7.3. */
export function kernelSeries(release: string): string {
  const match = /^(\d+\.\d+)[.-]/.exec(release);
  return match?.[1] ?? release;
}

/** The prepared kernels, or the reason there are none usable (for the skip message). */
export function findE2eKernels(cacheDir = e2eCacheDir()): { kernels: E2eKernel[] } | { reason: string } {
  const list = join(cacheDir, 'kernels.list');
  if (!existsSync(list)) return { reason: `no prepared kernels in ${cacheDir}: run .ci/e2e-setup.sh` };
  const hash = moduleSourceHash();
  const kernels: E2eKernel[] = [];
  for (const release of readFileSync(list, 'utf8').split('\n').filter(Boolean)) {
    const dir = join(cacheDir, 'kernels', release);
    const kernel = {
      release,
      series: kernelSeries(release),
      vmlinuz: join(dir, 'vmlinuz'),
      initramfs: join(dir, 'initramfs.cpio.gz'),
      modules: join(dir, `modules-${hash}`),
    };
    if (!existsSync(kernel.modules)) {
      return { reason: `e2e modules for ${release} are older than e2e/modules/: run .ci/e2e-setup.sh` };
    }
    kernels.push(kernel);
  }
  return kernels.length > 0 ? { kernels } : { reason: `${list} lists no kernel: run .ci/e2e-setup.sh` };
}
