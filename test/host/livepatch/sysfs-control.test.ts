import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SysfsControl, toKernelOpError } from '../../../src/host/livepatch/index.js';

/** A fake root with /sys/kernel/livepatch and /proc as a 6.1 kernel lays them out. */
function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'klpm-root-'));
  const put = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put('sys/kernel/livepatch/lp_v1/enabled', '1\n');
  put('sys/kernel/livepatch/lp_v1/transition', '0\n');
  put('sys/kernel/livepatch/lp_v2/enabled', '1\n');
  put('sys/kernel/livepatch/lp_v2/transition', '1\n');
  put(
    'proc/modules',
    'lp_v2 16384 1 - Live 0x0000000000000000 (K)\nlp_v1 16384 1 - Live 0x0000000000000000 (K)\nvirtio_net 61440 0 - Live 0x0\n',
  );
  put('proc/1/task/1/patch_state', '1\n');
  put('proc/1/task/1/comm', 'init\n');
  put('proc/42/task/42/patch_state', '0\n');
  put('proc/42/task/42/comm', 'kworker/0:1\n');
  put('proc/42/task/42/stack', '[<0>] busy_fn+0x10/0x20 [klpm_e2e_target]\n');
  put('proc/43/task/43/patch_state', '-1\n');
  return root;
}

describe('SysfsControl over a fake root', () => {
  it('lists patches, modules and the tasks that block the transition', async () => {
    const root = fakeRoot();
    const control = new SysfsControl(root);
    expect(await control.listPatches()).toEqual([
      { name: 'lp_v1', enabled: true, transition: false },
      { name: 'lp_v2', enabled: true, transition: true },
    ]);
    expect(await control.isModuleLoaded('lp_v1')).toBe(true);
    expect(await control.isModuleLoaded('lp_v')).toBe(false);
    expect(await control.blockingTasks()).toEqual([
      { pid: 42, comm: 'kworker/0:1', stack: '[<0>] busy_fn+0x10/0x20 [klpm_e2e_target]' },
    ]);
  });

  it('writes enabled, signal and force as the kernel expects', async () => {
    const root = fakeRoot();
    const control = new SysfsControl(root);
    await control.writeEnabled('lp_v2', false);
    expect(readFileSync(join(root, 'sys/kernel/livepatch/lp_v2/enabled'), 'utf8')).toBe('0\n');
    await expect(control.writeForce('gone')).rejects.toMatchObject({ errno: 'ENOENT' });
    // no `signal` attribute since 5.1: nothing to write, the kernel signals by itself
    await control.writeSignal('lp_v2');
    expect(existsSync(join(root, 'sys/kernel/livepatch/lp_v2/signal'))).toBe(false);
  });

  it('no /sys/kernel/livepatch means no patch', async () => {
    expect(await new SysfsControl(mkdtempSync(join(tmpdir(), 'klpm-empty-'))).listPatches()).toEqual([]);
  });

  it("maps kmod's messages to errno names", () => {
    expect(toKernelOpError('insmod: ERROR: could not insert module /x/lp_v1.ko: File exists')).toMatchObject({
      errno: 'EEXIST',
    });
    expect(toKernelOpError('insmod: ERROR: could not insert module lp.ko: Invalid argument')).toMatchObject({
      errno: 'EINVAL',
    });
    expect(toKernelOpError('rmmod: ERROR: Module lp_v1 is in use')).toMatchObject({ errno: 'EAGAIN' });
    expect(toKernelOpError('rmmod: ERROR: Module lp_v9 is not currently loaded')).toMatchObject({
      errno: 'ENOENT',
    });
  });

  it('runs the insmod it is given and maps its failure (a stand-in tool: unit tests never touch this kernel)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klpm-tools-'));
    const insmod = join(dir, 'insmod');
    writeFileSync(
      insmod,
      '#!/bin/sh\necho "insmod: ERROR: could not insert module $1: Invalid module format" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const control = new SysfsControl(fakeRoot(), { insmod, rmmod: insmod });
    await expect(control.insmod('/x/lp.ko')).rejects.toMatchObject({
      name: 'KernelOpError',
      errno: 'ENOEXEC',
      message: 'insmod: ERROR: could not insert module /x/lp.ko: Invalid module format',
    });
  });
});
