import type { HostPatch } from '../../plan/index.js';

/**
 * The few things the executor does to a running kernel. The real implementation writes sysfs and
 * runs kmod's insmod/rmmod (sysfs-control.ts); tests drive the klp simulator through the same
 * interface.
 */
/** What the executor needs of a patch directory: a view of the one sysfs shape, HostPatch. */
export type PatchStatus = Pick<HostPatch, 'name' | 'enabled' | 'transition'>;

export interface BlockingTask {
  readonly pid: number;
  readonly comm: string;
  /** the kernel's stack of the task, when readable (/proc/<pid>/stack) */
  readonly stack?: string;
}

/** A failed kernel operation: the errno name and what the tool said. */
export class KernelOpError extends Error {
  override readonly name = 'KernelOpError';
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KernelControl {
  /** /sys/kernel/livepatch/<patch>/{enabled,transition} of every listed patch */
  listPatches(): Promise<PatchStatus[]>;
  /** lsmod: is a module loaded */
  isModuleLoaded(name: string): Promise<boolean>;
  insmod(file: string): Promise<void>;
  rmmod(name: string): Promise<void>;
  writeEnabled(patch: string, enabled: boolean): Promise<void>;
  writeSignal(patch: string): Promise<void>;
  writeForce(patch: string): Promise<void>;
  /** tasks whose patch_state is not yet the transition's target */
  blockingTasks(): Promise<BlockingTask[]>;
  sleep(ms: number): Promise<void>;
}
