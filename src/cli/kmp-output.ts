import { type Command, Option } from 'commander';
import { elfModuleReader, type KmpOptions, type KmpOutcome } from '../host/kmp/index.js';
import { crcHex, type RejectReason } from '../kabi/index.js';
import { capped } from './cap.js';
import { type CliContext, ExitCode } from './context.js';
import { shown } from './shown.js';
import { UsageError } from './usage-error.js';

/** Flags every `klpm kmp` subcommand shares. */
export interface KmpFlags {
  readonly root: string;
  readonly json?: boolean;
  /** false with --no-depmod */
  readonly depmod: boolean;
  /** text lists every item, not the first 20 of each list */
  readonly all?: boolean;
  /** seconds to wait for another klpm's lock (changing commands) */
  readonly wait?: string;
}

/**
 * Adds the shared flags; `--no-depmod` shows in `--help` only where the command changes links
 * (`depmod: true`), so each command's help lists only the flags that do something there.
 */
export function withKmpFlags(command: Command, { depmod }: { depmod: boolean }): Command {
  command
    .option('--root <dir>', 'the system root everything lives under', '/')
    .option('--json', 'print the resolution and the plan as JSON')
    .option('--all', 'list every kernel, build, reason and operation (text shows the first 20 of each list)');
  const option = new Option('--no-depmod', 'do not run depmod for kernels whose links changed');
  // accepted and hidden where it has nothing to skip, so scripts that pass it to every kmp command run on
  command.addOption(depmod ? option : option.hideHelp());
  if (depmod)
    command.option(
      '--wait <seconds>',
      "wait up to this many seconds for another klpm's lock instead of failing at once (exit 5)",
    );
  return command;
}

/** The host options of a command. */
export function kmpOptions(_ctx: CliContext, flags: KmpFlags, mode: 'change' | 'dry-run'): KmpOptions {
  return {
    root: flags.root,
    reader: elfModuleReader,
    dryRun: mode === 'dry-run',
    depmod: flags.depmod,
    wait: flags.wait === undefined ? 0 : waitSeconds(flags.wait),
  };
}

function waitSeconds(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 86400)
    throw new UsageError(`--wait takes whole seconds from 0 to 86400, not '${text}'`);
  return Number(text);
}

/** Prints what happened and sets the exit code: 1 when a boot-critical gap blocked the change or depmod failed. */
export function report(
  ctx: CliContext,
  setExit: (code: number) => void,
  flags: KmpFlags,
  outcome: KmpOutcome,
): void {
  if (flags.json) ctx.stdout(`${JSON.stringify(outcomeJson(outcome), null, 2)}\n`);
  else ctx.stdout(renderOutcome(outcome, flags.all));
  if (outcome.blocked.length > 0 || outcome.depmodFailures.length > 0) setExit(ExitCode.findings);
}

/** The JSON of an outcome; a CRC is a string, `0x` and 8 hex digits, as Module.symvers writes it. */
export function outcomeJson(outcome: KmpOutcome) {
  return {
    applied: outcome.applied,
    blocked: outcome.blocked,
    operations: outcome.operations,
    kernels: outcome.resolution.kernels.map((k) => ({
      ...k,
      rejected: k.rejected.map((r) => ({ ...r, reasons: r.reasons.map(reasonJson) })),
    })),
    depmodFailures: outcome.depmodFailures,
    depmodOwed: outcome.depmodOwed,
    notBootable: outcome.blocked.length === 0 ? notBootable(outcome) : [],
    problems: outcome.problems,
    ...(outcome.kernelRead === undefined ? {} : { kernelRead: outcome.kernelRead }),
  };
}

function reasonJson(r: RejectReason) {
  if (!('wanted' in r)) return r;
  return { ...r, wanted: crcJson(r.wanted), found: crcJson(r.found) };
}

const crcJson = (crc: number | undefined) => (crc === undefined ? undefined : crcHex(crc));

export function renderOutcome(outcome: KmpOutcome, all?: boolean): string {
  const out: string[] = [];
  const read = outcome.kernelRead;
  if (read)
    out.push(
      `read kernel ${shown(read.release)} (${shown(read.flavor)}): ${read.modules} module${read.modules === 1 ? '' : 's'}, symvers ${shown(read.symvers)}, ` +
        (read.initrdFile === null
          ? 'no initrd image or module list (give --initrd or --initrd-modules to guard initrd modules)'
          : `${read.initrd.length} initrd module${read.initrd.length === 1 ? '' : 's'} from ${shown(read.initrdFile)}`),
      '',
    );
  const kernels = outcome.resolution.kernels.map((k) =>
    [
      `kernel ${shown(k.kernel)} (${shown(k.flavor)})`,
      ...capped(
        k.chosen.map((c) => `  ${build(c)}${c.own ? ' (own build)' : ''}`),
        all,
        'chosen builds',
      ),
      ...capped(
        k.rejected.map(
          (r) =>
            `  rejected ${build(r)}: ${capped(
              r.reasons.map((reason) => shown(reasonText(reason))),
              all,
              'reasons',
            ).join('; ')}`,
        ),
        all,
        'rejected builds',
      ),
      ...capped(
        k.lost.map((pkg) => `  lost ${shown(pkg)}: no compatible build any more`),
        all,
        'lost packages',
      ),
      ...capped(
        k.gaps.map(
          (g) =>
            `  BOOT-CRITICAL GAP: ${shown(g.package)} (${g.because === 'marked' ? 'marked boot-critical' : 'module in initrd'})`,
        ),
        all,
        'boot-critical gaps',
      ),
    ].join('\n'),
  );
  out.push(...capped(kernels, all, 'kernels'));
  out.push('', outcome.operations.length === 0 ? 'plan: nothing to change' : 'plan:');
  out.push(
    ...capped(
      outcome.operations.map((o) =>
        o.op === 'depmod'
          ? `  depmod ${shown(o.kernel)}`
          : o.op === 'link'
            ? `  ${o.replaces ? 'replace' : 'link'} ${shown(`${o.kernel}/weak-updates/${o.name}`)} -> ${shown(o.target)}`
            : `  unlink ${shown(`${o.kernel}/weak-updates/${o.name}`)}`,
      ),
      all,
      'operations',
    ),
  );
  if (outcome.blocked.length > 0)
    out.push(
      '',
      `refused: ${capped(
        outcome.blocked.map((g) => `kernel ${shown(g.kernel)} would lose boot-critical ${shown(g.package)}`),
        all,
        'losses',
      ).join(', ')}; nothing changed (add a compatible build first)`,
    );
  else out.push('', outcome.applied ? 'applied' : 'dry run: nothing changed');
  // a refused change is a resolution that did not happen: what it would leave unbootable is the refusal
  if (outcome.blocked.length === 0) out.push(...notBootableLines(outcome, all));
  out.push(
    ...capped(
      outcome.depmodFailures.map(
        (f) => `depmod failed for ${shown(f.kernel)} (exit ${f.status}): ${f.stderr.trim()}`,
      ),
      all,
      'depmod failures',
    ),
    ...capped(
      outcome.depmodOwed.map(
        (kernel) => `depmod skipped for ${shown(kernel)}: still owed; klpm kmp link runs it`,
      ),
      all,
      'kernels owing depmod',
    ),
    ...problemLines(outcome, all),
  );
  return `${out.join('\n')}\n`;
}

/** Kernels with a boot-critical gap (KR-NOT-BOOTABLE): they would boot without a module they need. */
export function notBootable(outcome: KmpOutcome): string[] {
  return outcome.resolution.kernels.filter((k) => k.gaps.length > 0).map((k) => k.kernel);
}

/** One loud line per kernel that is not bootable, naming what it lacks. */
export function notBootableLines(outcome: KmpOutcome, all: boolean | undefined): string[] {
  return capped(
    outcome.resolution.kernels
      .filter((k) => k.gaps.length > 0)
      .map(
        (k) =>
          `WARNING: kernel ${shown(k.kernel)} is NOT BOOTABLE: no compatible build of boot-critical ${k.gaps.map((g) => shown(g.package)).join(', ')}; install one (klpm kmp status shows this until then)`,
      ),
    all,
    'kernels not bootable',
  );
}

/** A build as text shows it: `package version built for kernel`. */
function build(b: { package: string; version: string; builtFor: string }): string {
  return `${shown(b.package)} ${shown(b.version)} built for ${shown(b.builtFor)}`;
}

export function reasonText(r: RejectReason): string {
  if (r.kind === 'vermagic')
    return `${r.module}: version magic '${r.vermagic}' should be '${r.kernelVermagic}'`;
  if (r.kind === 'no-versions')
    return `${r.module} has no symbol versions and the kernel has modversions: the kernel refuses it`;
  if (r.kind === 'kernel-vermagic-unknown')
    return `the kernel's vermagic is not known, so boot-critical ${r.module} is not linked: run klpm kmp add-kernel again`;
  if (r.kind === 'duplicate') return `module ${r.module} already comes from ${r.owner}`;
  if (r.kind === 'export-clash') return `${r.module} exports ${r.symbol}, which ${r.owner} already exports`;
  if (r.kind === 'unknown') return `${r.module} needs unknown symbol ${r.symbol}`;
  if (r.kind === 'crc' || !('neededBy' in r))
    return `${r.module} disagrees about version of symbol ${r.symbol} (wants ${hex(r.wanted)}, kernel has ${hex(r.found)})`;
  if (r.kind === 'override-unknown')
    return `${r.module} replaces the in-tree module but does not export ${r.symbol}, which ${r.neededBy} needs`;
  return `${r.module} replaces the in-tree module but exports ${r.symbol} as ${hex(r.found)}, ${r.neededBy} wants ${hex(r.wanted)}`;
}

function hex(crc: number | undefined): string {
  return crc === undefined ? 'none' : crcHex(crc);
}

/** What a reading command could not read, one line each (the rest of its answer stands). */
export const problemLines = (outcome: KmpOutcome, all: boolean | undefined): string[] =>
  capped(
    outcome.problems.map((p) => `could not read ${p.path}: ${p.problem}`),
    all,
    'unreadable paths',
  );
