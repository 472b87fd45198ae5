import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { E2E_DIR } from './kernels.js';

/**
 * The livepatches .ci/klp-build.sh builds with the kernel's own scripts/livepatch/klp-build from
 * e2e/klp-build/, and the self-built 7.3 kernel they load on, under $KLPM_CACHE/klp-build.
 */
export interface KlpBuildOutput {
  dir: string;
  /** klpm-klp-v1.ko: 0001-proc-version-fix.patch */
  v1: string;
  /** klpm-klp-v2.ko: 0001 and 0002-proc-cmdline-fix.patch (cumulative) */
  v2: string;
  bzImage: string;
  /** busybox and e2e/guest/init.sh, no modules (the 9p and virtio drivers are built in) */
  initramfs: string;
  systemMap: string;
  /** `make kernelrelease` of the tree */
  release: string;
}

/**
 * The hash .ci/klp-build.sh names its output by: every file of e2e/klp-build (name order), the guest's
 * /init and the script.
 */
export function klpBuildInputsHash(): string {
  const dir = join(E2E_DIR, 'klp-build');
  const files = readdirSync(dir)
    .sort()
    .map((name) => join(dir, name));
  const hash = createHash('sha256');
  for (const file of [
    ...files,
    join(E2E_DIR, 'guest', 'init.sh'),
    join(E2E_DIR, '..', '.ci', 'klp-build.sh'),
  ])
    hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** The built output for the current inputs, or the reason there is none (for the skip message). */
export function findKlpBuildOutput(
  env: NodeJS.ProcessEnv = process.env,
): { output: KlpBuildOutput } | { reason: string } {
  const base = join(env.KLPM_CACHE || join(homedir(), '.cache', 'klpm'), 'klp-build');
  const hash = klpBuildInputsHash();
  const name = existsSync(base)
    ? readdirSync(base).find((entry) => entry.startsWith('out-') && entry.endsWith(`-${hash}`))
    : undefined;
  if (name === undefined || !existsSync(join(base, name, 'ready')))
    return { reason: `no klp-build output for inputs ${hash} under ${base} (run .ci/klp-build.sh)` };
  const dir = join(base, name);
  return {
    output: {
      dir,
      v1: join(dir, 'klpm-klp-v1.ko'),
      v2: join(dir, 'klpm-klp-v2.ko'),
      bzImage: join(dir, 'bzImage'),
      initramfs: join(dir, 'initramfs.cpio.gz'),
      systemMap: join(dir, 'System.map'),
      release: readFileSync(join(dir, 'release'), 'utf8').trim(),
    },
  };
}
