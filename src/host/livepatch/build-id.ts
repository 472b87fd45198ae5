import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findBuildId } from '../../elf/index.js';
import type { Component } from '../../repo/index.js';

/**
 * Reads the running build ID of a component under `root` (`/` on a live host), or undefined when it
 * cannot be read. The kernel exposes its own .notes section as /sys/kernel/notes (kernel/ksysfs.c);
 * Linux running on Xen shows the hypervisor's build ID as text in /sys/hypervisor/properties/buildid
 * (drivers/xen/sys-hypervisor.c).
 */
export async function readRunningBuildId(root: string, component: Component): Promise<string | undefined> {
  try {
    if (component === 'kernel') return findBuildId(await readFile(join(root, 'sys/kernel/notes')));
    const text = (await readFile(join(root, 'sys/hypervisor/properties/buildid'), 'utf8'))
      .trim()
      .toLowerCase();
    return /^[0-9a-f]+$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
