import type { HostLivepatchView } from '../../plan/index.js';
import { readRunningBuildId } from './build-id.js';
import type { KernelControl } from './kernel-control.js';
import { SysfsControl } from './sysfs-control.js';
import { readLivepatchView } from './sysfs-view.js';

/** A running kernel klpm can read and change: the executor's controls plus what status and plans read. */
export interface LiveKernel extends KernelControl {
  readView(): Promise<HostLivepatchView>;
  /** GNU build ID of the running kernel, undefined when /sys/kernel/notes cannot be read */
  readBuildId(): Promise<string | undefined>;
}

/** The kernel of the machine under `root`: sysfs and /proc, kmod's insmod and rmmod. */
export class SysfsKernel extends SysfsControl implements LiveKernel {
  constructor(private readonly rootDir: string) {
    super(rootDir);
  }
  readView(): Promise<HostLivepatchView> {
    return readLivepatchView(this.rootDir);
  }
  readBuildId(): Promise<string | undefined> {
    return readRunningBuildId(this.rootDir, 'kernel');
  }
}
