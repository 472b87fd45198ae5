import { join } from 'node:path';
import { findBuildId } from '../../elf/index.js';
import type { Component } from '../../repo/index.js';
import { readBoundedBytes } from '../files.js';
import { problemOf, type ReadProblem } from '../read-problem.js';

/**
 * Reads the running build ID of a component under `root` (`/` on a live host), or undefined when it
 * cannot be read. The kernel exposes its own .notes section as /sys/kernel/notes (kernel/ksysfs.c);
 * Linux running on Xen shows the hypervisor's build ID as text in /sys/hypervisor/properties/buildid
 * (drivers/xen/sys-hypervisor.c). A file that is there but cannot be read, or holds no build ID, is
 * added to `problems`; a missing one is not (the answer is "unknown").
 */
export async function readRunningBuildId(
  root: string,
  component: Component,
  problems: ReadProblem[] = [],
): Promise<string | undefined> {
  const path = join(root, component === 'kernel' ? 'sys/kernel/notes' : 'sys/hypervisor/properties/buildid');
  let bytes: Buffer | undefined;
  try {
    bytes = await readBoundedBytes(path);
  } catch (error) {
    problems.push(problemOf(error, path));
    return undefined;
  }
  if (bytes === undefined) return undefined;
  try {
    const id =
      component === 'kernel'
        ? findBuildId(bytes)
        : ((text) => (/^[0-9a-f]+$/.test(text) ? text : undefined))(
            bytes.toString('utf8').trim().toLowerCase(),
          );
    if (id === undefined) problems.push({ path, problem: 'holds no GNU build ID' });
    return id;
  } catch {
    problems.push({ path, problem: 'holds no GNU build ID (not ELF notes)' });
    return undefined;
  }
}
