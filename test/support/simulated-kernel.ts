import type { BlockingTask, PatchStatus } from '../../src/host/livepatch/index.js';
import { KernelOpError } from '../../src/host/livepatch/index.js';
import type { LiveKernel } from '../../src/host/livepatch/live-kernel.js';
import {
  applyStep,
  createSystem,
  describeSystem,
  formatEvent,
  type KernelKind,
  type KlpSystem,
  type PatchManifest,
  type StepContext,
  stepSchema,
} from '../../src/klp/index.js';
import type { HostLivepatchView } from '../../src/plan/index.js';

type StepInput = Parameters<typeof stepSchema.parse>[0];

/**
 * A KernelControl backed by the klp simulator: insmod of a file loads the patch its manifest
 * describes, sysfs writes are simulator steps, sleep advances a virtual clock on which tests can
 * schedule steps (a task that wakes up after 3 s). Every call is recorded.
 */
export class SimulatedKernel implements LiveKernel {
  /** what /proc/sys/kernel/osrelease and /sys/kernel/notes would say */
  release = '6.12.117+deb12-amd64';
  buildId: string | undefined = '00112233445566778899aabbccddeeff00112233';
  system: KlpSystem;
  clockMs = 0;
  readonly calls: string[] = [];
  private readonly ctx: StepContext;
  private readonly scheduled: Array<{ atMs: number; step: StepInput }> = [];
  /** called with the kernel log lines of each step, as dmesg would show them */
  onLog: ((lines: string[]) => void) | undefined;
  /** freezes the next matching call for ever, before or after it acts: klpm killed at that point */
  killAt: { call: string; when: 'before' | 'after' } | undefined;

  constructor(
    kind: KernelKind,
    private readonly files: ReadonlyMap<string, PatchManifest>,
    modules: ReadonlyArray<{ name: string; funcs: string[] }> = [],
  ) {
    this.system = createSystem(kind);
    this.ctx = {
      patches: new Map([...files.values()].map((m) => [m.name, m])),
      moduleFuncs: new Map(modules.map((m) => [m.name, m.funcs])),
    };
  }

  /** Runs a scenario step directly (a module load, a task going to sleep). */
  step(input: StepInput): void {
    const result = applyStep(this.system, stepSchema.parse(input), this.ctx);
    this.system = result.system;
    this.onLog?.(result.events.map(formatEvent));
    if (result.error) throw new KernelOpError(result.error.errno, result.error.message);
  }

  at(ms: number, step: StepInput): void {
    this.scheduled.push({ atMs: ms, step });
  }

  /** Records a call and runs it, unless klpm is to be killed there. */
  private async call(name: string, act: () => void): Promise<void> {
    const kill = this.killAt?.call === name ? this.killAt : undefined;
    if (kill) this.killAt = undefined;
    if (kill?.when === 'before') return new Promise(() => {});
    this.calls.push(name);
    act();
    if (kill) return new Promise(() => {});
  }

  async listPatches(): Promise<PatchStatus[]> {
    return describeSystem(this.system).sysfs.map((p) => ({
      name: p.name,
      enabled: p.enabled === 1,
      transition: p.transition === 1,
    }));
  }
  /** The sysfs view a real kernel in this state shows (what host/livepatch-state.ts reads). */
  async readView(): Promise<HostLivepatchView> {
    const sysfs = describeSystem(this.system).sysfs;
    const attributes = (['replace', 'replace_set', 'provides', 'stack_order'] as const).filter((a) =>
      sysfs.some((p) => p[a] !== undefined),
    );
    return {
      release: this.release,
      kind: sysfs.length === 0 ? undefined : this.system.kind,
      attributes,
      patches: sysfs.map((p) => ({
        name: p.name,
        enabled: p.enabled === 1,
        transition: p.transition === 1,
        replace: p.replace === undefined ? undefined : p.replace === 1,
        replaceSet: p.replace_set,
        provides: p.provides,
        obsoletes: p.obsoletes?.split(',').filter(Boolean).map(Number),
        stackOrder: p.stack_order,
        version: undefined,
        objects: p.objects.map((o) => ({
          name: o.name,
          patched: o.patched === 1,
          funcs: o.funcs.map((f) => ({ name: f.split(',')[0]!, sympos: Number(f.split(',')[1]) })),
        })),
      })),
      modules: [...this.system.modules.keys()],
    };
  }
  async readBuildId(): Promise<string | undefined> {
    return this.buildId;
  }
  async isModuleLoaded(name: string): Promise<boolean> {
    return this.system.modules.has(name);
  }
  async insmod(file: string): Promise<void> {
    const manifest = this.files.get(file);
    if (!manifest) throw new KernelOpError('ENOENT', 'No such file or directory');
    await this.call(`insmod ${file}`, () => this.step({ load: manifest.name }));
  }
  async rmmod(name: string): Promise<void> {
    await this.call(`rmmod ${name}`, () => this.step({ unload: name }));
  }
  async writeEnabled(patch: string, enabled: boolean): Promise<void> {
    await this.call(`echo ${enabled ? 1 : 0} > ${patch}/enabled`, () =>
      this.step(enabled ? { enable: patch } : { disable: patch }),
    );
  }
  async writeSignal(patch: string): Promise<void> {
    await this.call(`echo 1 > ${patch}/signal`, () => this.step({ signal: patch }));
  }
  async writeForce(patch: string): Promise<void> {
    await this.call(`echo 1 > ${patch}/force`, () => this.step({ force: patch }));
  }
  async blockingTasks(): Promise<BlockingTask[]> {
    return describeSystem(this.system)
      .tasks.filter((t) => t.blocking)
      .map((t, i) => ({ pid: 100 + i, comm: t.name }));
  }
  async sleep(ms: number): Promise<void> {
    this.clockMs += ms;
    for (const due of this.scheduled.filter((s) => s.atMs <= this.clockMs)) {
      this.scheduled.splice(this.scheduled.indexOf(due), 1);
      this.step(due.step);
    }
  }
}
