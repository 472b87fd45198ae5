import type { HostLivepatchView } from '../../plan/index.js';
import { type ReadProblem, refuseOnProblems } from '../read-problem.js';
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
  /** The view a change is planned from: anything unreadable refuses the change (bad input, exit 2). */
  async readView(): Promise<HostLivepatchView> {
    const problems: ReadProblem[] = [];
    const view = await readLivepatchView(this.rootDir, problems);
    refuseOnProblems(problems, 'status');
    return view;
  }
  readBuildId(): Promise<string | undefined> {
    return readRunningBuildId(this.rootDir, 'kernel');
  }
}
