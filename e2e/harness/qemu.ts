import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_DIR, type E2eKernel, findE2eKernels } from './kernels.js';

/**
 * Boots one Debian kernel under qemu (TCG, one vCPU: KVM is not usable on the CI machines) with the
 * busybox initramfs. The guest mounts the host's root read-only over 9p at /host (it can chroot there
 * and run node and klpm) and a fresh work directory read-write at /work, which carries the scenario
 * script in and the kernel log out. One boot per scenario: every scenario starts on a clean kernel.
 * A guest has no network card unless it asks for one (`GuestNetwork`).
 */

/**
 * A network card on qemu's user-mode network with `restrict=on`: the guest reaches no address but
 * the forwards named here. Each forward is a guest address and port, `10.0.2.100:7470`, whose TCP
 * connections go to `127.0.0.1:hostPort` on this machine (through guestfwd.mjs, one process per
 * connection: a guestfwd to a tcp: chardev would carry every guest connection over one socket).
 */
export interface GuestNetwork {
  readonly forwards: ReadonlyArray<{ readonly guest: string; readonly hostPort: number }>;
}

const GUESTFWD = fileURLToPath(new URL('./guestfwd.mjs', import.meta.url));

/** qemu's arguments for a `GuestNetwork`: a virtio-net card the guest's /init gives 10.0.2.15. */
export function networkArgs(network: GuestNetwork): string[] {
  const forwards = network.forwards.map(
    (f) => `,guestfwd=tcp:${f.guest}-cmd:${process.execPath} ${GUESTFWD} ${f.hostPort}`,
  );
  return ['-netdev', `user,id=net0,restrict=on${forwards.join('')}`, '-device', 'virtio-net-pci,netdev=net0'];
}

/** What one guest run left in its work directory. */
export interface GuestRun {
  workDir: string;
  /** the kernel log after the scenario (the boot messages were cleared before it started) */
  dmesg: string;
  /** /sys/kernel/livepatch after the scenario, one `path=value` per file */
  sysfs: string;
  /** the serial console, for diagnosing a guest that did not finish */
  console: string;
}

/** Whether qemu-system-x86_64 is on PATH. */
export function hasQemu(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, 'qemu-system-x86_64')));
}

/**
 * Boots `kernel`, runs `script` as /work/scenario.sh in the guest and returns what it wrote
 * (`prepare` adds files to the work directory first). A guest
 * that leaves no kernel log never reached the scenario (an emulated boot that hung on a loaded
 * machine): it is booted once more before that counts as a failure.
 */
export async function runGuest(
  kernel: E2eKernel,
  script: string,
  timeoutMs = 120_000,
  prepare: (workDir: string) => void = () => {},
  network?: GuestNetwork,
): Promise<GuestRun> {
  const extra = network === undefined ? [] : networkArgs(network);
  try {
    return await bootOnce(kernel, script, timeoutMs, prepare, extra);
  } catch (error) {
    if (!(error instanceof GuestBootError)) throw error;
    return bootOnce(kernel, script, timeoutMs, prepare, extra);
  }
}

class GuestBootError extends Error {
  override readonly name = 'GuestBootError';
}

async function bootOnce(
  kernel: E2eKernel,
  script: string,
  timeoutMs: number,
  prepare: (workDir: string) => void,
  extra: ReadonlyArray<string>,
): Promise<GuestRun> {
  const workDir = mkdtempSync(join(tmpdir(), `klpm-e2e-${kernel.series}-`));
  cpSync(kernel.modules, join(workDir, 'modules'), { recursive: true });
  cpSync(join(E2E_DIR, 'guest', 'steps.sh'), join(workDir, 'steps.sh'));
  writeFileSync(join(workDir, 'scenario.sh'), script);
  prepare(workDir);
  const args = [
    ...['-accel', 'tcg', '-smp', '1', '-m', '512', '-display', 'none', '-no-user-config', '-nodefaults'],
    ...['-serial', 'stdio', '-no-reboot', '-kernel', kernel.vmlinuz, '-initrd', kernel.initramfs],
    ...['-append', 'console=ttyS0 panic=-1 printk.time=0 quiet no_timer_check'],
    ...['-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap'],
    ...['-virtfs', `local,path=${workDir},mount_tag=work,security_model=none,multidevs=remap`],
    ...extra,
  ];
  const console = await new Promise<string>((resolve, reject) => {
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  const dmesgFile = join(workDir, 'dmesg.log');
  if (!existsSync(dmesgFile)) {
    throw new GuestBootError(
      `the ${kernel.release} guest wrote no kernel log; its console:\n${console.slice(-3000)}`,
    );
  }
  const sysfsFile = join(workDir, 'sysfs.txt');
  return {
    workDir,
    dmesg: readFileSync(dmesgFile, 'utf8'),
    sysfs: existsSync(sysfsFile) ? readFileSync(sysfsFile, 'utf8') : '',
    console,
  };
}

/**
 * The prepared kernels when qemu and they are there; otherwise none, and the reason is printed.
 * KLPM_E2E_SERIES=7.3 (a comma list) keeps only those series, to record one kernel's fixtures.
 */
export function e2eKernels(what: string): { kernels: E2eKernel[]; skipReason: string | undefined } {
  const found = findE2eKernels();
  const only = process.env.KLPM_E2E_SERIES?.split(',').filter(Boolean);
  if (only !== undefined && only.length > 0 && 'kernels' in found)
    found.kernels = found.kernels.filter((kernel) => only.includes(kernel.series));
  const skipReason = !hasQemu()
    ? 'qemu-system-x86_64 is not installed (apt-get install --no-install-recommends qemu-system-x86)'
    : 'reason' in found
      ? found.reason
      : undefined;
  if (skipReason !== undefined) console.warn(`klpm e2e: ${what} skipped: ${skipReason}`);
  return { kernels: 'kernels' in found ? found.kernels : [], skipReason };
}
