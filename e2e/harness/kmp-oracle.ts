import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2eKernel } from './kernels.js';
import { e2eCacheDir } from './kernels.js';

/**
 * The KMP oracle's modules that .ci/kmp-oracle.sh built for one e2e kernel: klpm_oracle.c built
 * against the headers of other ABIs of the kernel's series, one module per case.
 */

/** One build of the oracle module. */
export interface OracleCase {
  /** crc_differ, crc_match, rt, other_abi, other_7x, own */
  readonly name: string;
  /** the release whose headers it was built against */
  readonly builtFor: string;
  /** absolute path of the .ko */
  readonly file: string;
}

/** The cases built for `kernel`, or undefined when .ci/kmp-oracle.sh has not run for it. */
export function oracleCases(kernel: E2eKernel, cacheDir = e2eCacheDir()): OracleCase[] | undefined {
  const dir = join(cacheDir, 'oracle', kernel.release);
  if (!existsSync(dir)) return undefined;
  const built = readdirSync(dir).find((name) => existsSync(join(dir, name, 'cases.tsv')));
  if (built === undefined) return undefined;
  return readFileSync(join(dir, built, 'cases.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', builtFor = '', file = ''] = line.split('\t');
      return { name, builtFor, file: join(dir, built, file) };
    });
}

/** The kernel's Module.symvers as e2e-setup left it (its headers, or the trixie build root's). */
export function kernelSymvers(kernel: E2eKernel, cacheDir = e2eCacheDir()): string {
  const own = join(cacheDir, 'kernels', kernel.release, 'root/usr/src', `linux-headers-${kernel.release}`);
  const inBuildRoot = join(cacheDir, 'buildroot-trixie/usr/src', `linux-headers-${kernel.release}`);
  return join(existsSync(own) ? own : inBuildRoot, 'Module.symvers');
}

/** The kernel's module directory in the unpacked packages (/lib/modules/K, or /usr/lib/modules/K on 7.x). */
export function kernelModuleDir(kernel: E2eKernel, cacheDir = e2eCacheDir()): string {
  const root = join(cacheDir, 'kernels', kernel.release, 'root');
  const merged = join(root, 'usr/lib/modules', kernel.release);
  return existsSync(join(merged, 'kernel')) ? merged : join(root, 'lib/modules', kernel.release);
}
