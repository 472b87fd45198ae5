import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { e2eCacheDir } from './kernels.js';

/**
 * A private copy of this machine's root to run real package transactions in: an overlay (lower: `/`,
 * upper: a fresh temporary directory starting as a copy of a cached base layer) mounted in a new mount namespace
 * (`unshare -m`) and entered with `chroot`. Every write lands in the upper directory; the machine
 * itself is never touched. Each `run` mounts the overlay again in its own namespace, so a process
 * killed in one run leaves no mount behind.
 *
 * The base layer holds what installing Debian's kernel packages needs and this machine lacks
 * (linux-base, initramfs-tools and what they pull in), installed once with apt inside such a copy
 * and kept under $KLPM_CACHE/kmp-packages/base-<hash of the host's dpkg status>.
 */

export const CACHE = join(dirname(e2eCacheDir()), 'kmp-packages');
const REPO = new URL('../..', import.meta.url).pathname;

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr, for assertion messages */
  readonly output: string;
}

/** Why a copy cannot be made here (not root, no overlayfs, no unshare), or undefined. */
export function copyUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces, overlayfs, chroot)';
  for (const tool of ['unshare', 'chroot', 'dpkg', 'dpkg-deb'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  return undefined;
}

function mountScript(lower: string, upper: string, work: string, merged: string, inner: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return [
    'set -e',
    `mount -t overlay overlay -o ${q(`lowerdir=${lower},upperdir=${upper},workdir=${work}`)} ${q(merged)}`,
    `mount --bind /proc ${q(`${merged}/proc`)}`,
    `mount --bind /dev ${q(`${merged}/dev`)}`,
    `mount -t sysfs sysfs ${q(`${merged}/sys`)}`,
    `mount -t tmpfs tmpfs ${q(`${merged}/run`)}`,
    `exec chroot ${q(merged)} /bin/sh -c ${q(inner)}`,
  ].join('\n');
}

function runIn(
  lower: string,
  upper: string,
  work: string,
  merged: string,
  script: string,
  env: Record<string, string>,
  timeout = 600_000,
): RunResult {
  const result = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', mountScript(lower, upper, work, merged, script)],
    {
      encoding: 'utf8',
      timeout,
      maxBuffer: 256 * 1024 * 1024,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', DEBIAN_FRONTEND: 'noninteractive', ...env },
    },
  );
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}\n${result.stderr}`,
  };
}

/**
 * What Debian's linux-image and linux-headers packages need beyond this machine: linux-base and
 * initramfs-tools (the image), linux-compiler-gcc-12-x86 (the 6.1 headers).
 */
const BASE_PACKAGES = ['linux-base', 'initramfs-tools', 'linux-compiler-gcc-12-x86'];

/** The base layer, made once (about a minute: apt installs linux-base and initramfs-tools). */
export function baseLayer(): string {
  const status = readFileSync('/var/lib/dpkg/status');
  const hash = createHash('sha256').update(status).update(BASE_PACKAGES.join(' ')).digest('hex').slice(0, 12);
  const base = join(CACHE, `base-${hash}`);
  if (existsSync(join(base, 'ready'))) return join(base, 'upper');
  rmSync(base, { recursive: true, force: true });
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(base, d), { recursive: true });
  // no service starts in the copy (policy-rc.d), as in a chroot build
  mkdirSync(join(base, 'upper', 'usr', 'sbin'), { recursive: true });
  writeFileSync(join(base, 'upper', 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n');
  chmodSync(join(base, 'upper', 'usr', 'sbin', 'policy-rc.d'), 0o755);
  const install = `apt-get install -y -q --no-install-recommends -o Debug::NoLocking=1 ${BASE_PACKAGES.join(' ')}`;
  const result = runIn(
    '/',
    join(base, 'upper'),
    join(base, 'work'),
    join(base, 'merged'),
    `${install} --no-download || (apt-get update -q && ${install})`,
    {},
  );
  if (result.status !== 0) throw new Error(`preparing the base layer failed:\n${result.output.slice(-4000)}`);
  writeFileSync(join(base, 'ready'), `${new Date().toISOString()}\n`);
  return join(base, 'upper');
}

/** One private copy of the machine. */
export class SystemCopy {
  readonly dir: string;
  readonly upper: string;
  private readonly work: string;
  private readonly merged: string;

  constructor(base: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'klpm-copy-'));
    this.upper = join(this.dir, 'upper');
    this.work = join(this.dir, 'work');
    this.merged = join(this.dir, 'merged');
    for (const d of [this.work, this.merged]) mkdirSync(d);
    // the base layer is copied into the upper one (about 1 s): overlayfs refuses a lower layer that
    // lies inside another one (ELOOP), and the base lives inside `/`
    const copied = spawnSync('cp', ['-a', base, this.upper]);
    if (copied.status !== 0) throw new Error(`copying the base layer failed: ${copied.stderr}`);
    // klpm at the documented absolute path, running this checkout's build
    this.write(
      '/usr/bin/klpm',
      `#!/bin/sh\nexec ${process.execPath} ${join(REPO, 'bin', 'klpm.js')} "$@"\n`,
      0o755,
    );
  }

  /** Writes a file into the copy (its upper layer). */
  write(path: string, text: string | Buffer, mode = 0o644): void {
    const file = join(this.upper, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    chmodSync(file, mode);
  }

  /** Runs a shell script as root inside the copy. */
  run(script: string, env: Record<string, string> = {}, timeout?: number): RunResult {
    return runIn('/', this.upper, this.work, this.merged, script, env, timeout);
  }

  /**
   * run, without blocking this thread: for the long transactions (a kernel package builds its
   * initramfs), so the test runner's worker stays responsive.
   */
  runAsync(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    const child = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        mountScript('/', this.upper, this.work, this.merged, script),
      ],
      {
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', DEBIAN_FRONTEND: 'noninteractive', ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    return new Promise((done) =>
      child.on('close', (status) => done({ status, stdout, stderr, output: `${stdout}\n${stderr}` })),
    );
  }

  async okAsync(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    const result = await this.runAsync(script, env);
    if (result.status !== 0)
      throw new Error(`in the copy, exit ${result.status}: ${script}\n${result.output.slice(-6000)}`);
    return result;
  }

  /** Like run, but throws with the output when the script fails. */
  ok(script: string, env: Record<string, string> = {}): RunResult {
    const result = this.run(script, env);
    if (result.status !== 0)
      throw new Error(`in the copy, exit ${result.status}: ${script}\n${result.output.slice(-6000)}`);
    return result;
  }

  /** A path inside the copy as the host sees it (only what was written: the upper layer). */
  upperPath(path: string): string {
    return join(this.upper, path);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
