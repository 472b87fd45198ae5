import { execFile } from 'node:child_process';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findErrnoByMessage } from '../../klp/index.js';
import { type BlockingTask, type KernelControl, KernelOpError, type PatchStatus } from './kernel-control.js';
import { loadedModules } from './sysfs-view.js';

const run = promisify(execFile);

/** The most tasks a kernel can have (PID_MAX_LIMIT, 4M on 64-bit). */
const PID_MAX_LIMIT = 4 * 1024 * 1024;

/**
 * KernelControl on a real machine: /sys/kernel/livepatch and /proc under `root`, kmod's insmod and
 * rmmod for loading. Tests point `root` at a generated tree; the e2e suite runs it in a qemu guest.
 */
export class SysfsControl implements KernelControl {
  constructor(
    private readonly root: string,
    private readonly tools: { insmod: string; rmmod: string } = { insmod: 'insmod', rmmod: 'rmmod' },
  ) {}

  private path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  private async readFlag(...parts: string[]): Promise<boolean> {
    return (await readFile(this.path(...parts), 'utf8')).trim() === '1';
  }

  async listPatches(): Promise<PatchStatus[]> {
    let names: string[];
    try {
      names = await readdir(this.path('sys/kernel/livepatch'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // no patch loaded yet, or no livepatch support
      throw error;
    }
    const out: PatchStatus[] = [];
    for (const name of names.sort()) {
      try {
        out.push({
          name,
          enabled: await this.readFlag('sys/kernel/livepatch', name, 'enabled'),
          transition: await this.readFlag('sys/kernel/livepatch', name, 'transition'),
        });
      } catch (error) {
        // The directory went away between readdir and read: the patch was just freed.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return out;
  }

  async isModuleLoaded(name: string): Promise<boolean> {
    const modules = await readFile(this.path('proc/modules'), 'utf8');
    return loadedModules(modules).includes(name);
  }

  async insmod(file: string): Promise<void> {
    await this.tool(this.tools.insmod, [file]);
  }

  async rmmod(name: string): Promise<void> {
    await this.tool(this.tools.rmmod, [name]);
  }

  private async tool(command: string, args: string[]): Promise<void> {
    try {
      // kmod's tools live in /usr/sbin (/sbin): not on every PATH (cron, a plain user's shell, a chroot)
      await run(command, args, {
        env: { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` },
      });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
      throw toKernelOpError(stderr);
    }
  }

  private async writeAttr(patch: string, attr: string, value: string): Promise<void> {
    try {
      await writeFile(this.path('sys/kernel/livepatch', patch, attr), value);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      throw new KernelOpError(
        code,
        `echo ${value.trim()} > /sys/kernel/livepatch/${patch}/${attr}: ${(error as Error).message}`,
      );
    }
  }

  writeEnabled(patch: string, enabled: boolean): Promise<void> {
    return this.writeAttr(patch, 'enabled', enabled ? '1\n' : '0\n');
  }

  /**
   * Kernels before 5.1 have a `signal` attribute; later ones send the fake signals themselves every
   * 15 retries (klp_send_signals), so there is nothing to write and the caller just keeps waiting.
   */
  async writeSignal(patch: string): Promise<void> {
    const attr = this.path('sys/kernel/livepatch', patch, 'signal');
    if (
      await access(attr).then(
        () => true,
        () => false,
      )
    )
      await this.writeAttr(patch, 'signal', '1\n');
  }

  writeForce(patch: string): Promise<void> {
    return this.writeAttr(patch, 'force', '1\n');
  }

  /** Tasks whose /proc/<pid>/task/<tid>/patch_state is not the transition's target (kernel/livepatch/transition.c). */
  async blockingTasks(): Promise<BlockingTask[]> {
    const transition = (await this.listPatches()).find((p) => p.transition);
    if (!transition) return [];
    const target = transition.enabled ? '1' : '0';
    const out: BlockingTask[] = [];
    // at most PID_MAX_LIMIT (include/linux/threads.h) tasks: a /proc that lists more is not the kernel's
    let tasks = 0;
    for (const pid of await readdir(this.path('proc')).catch(() => [] as string[])) {
      if (!/^\d+$/.test(pid)) continue;
      for (const tid of await readdir(this.path('proc', pid, 'task')).catch(() => [] as string[])) {
        if (++tasks > PID_MAX_LIMIT) return out;
        const dir = ['proc', pid, 'task', tid];
        const state = await readFile(this.path(...dir, 'patch_state'), 'utf8').catch(() => undefined);
        if (state === undefined || state.trim() === target || state.trim() === '-1') continue;
        const comm = (await readFile(this.path(...dir, 'comm'), 'utf8').catch(() => '?')).trim();
        const stack = await readFile(this.path(...dir, 'stack'), 'utf8').catch(() => undefined);
        out.push({ pid: Number(tid), comm, ...(stack ? { stack: stack.trim() } : {}) });
      }
    }
    return out;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/**
 * kmod's messages: insmod ends with the strerror text ("could not insert module x.ko: File exists");
 * rmmod says a module "is in use" (delete_module's EWOULDBLOCK) or "is not currently loaded".
 */
export function toKernelOpError(stderr: string): KernelOpError {
  const line = stderr.split('\n').find((l) => l.includes('ERROR')) ?? stderr.split('\n')[0] ?? stderr;
  if (/is in use/.test(line)) return new KernelOpError('EAGAIN', line);
  if (/is not currently loaded/.test(line)) return new KernelOpError('ENOENT', line);
  // insmod's own words for three errnos (kmod tools/insmod.c mod_strerror)
  if (/Invalid module format/.test(line)) return new KernelOpError('ENOEXEC', line);
  if (/Unknown symbol in module/.test(line)) return new KernelOpError('ENOENT', line);
  if (/Module has wrong symbol version/.test(line)) return new KernelOpError('ESRCH', line);
  const errno = findErrnoByMessage(line.slice(line.lastIndexOf(':') + 1));
  return new KernelOpError(errno?.errno ?? 'EIO', line);
}
