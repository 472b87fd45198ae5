import { type Command, Option } from 'commander';
import { elfModuleReader, type KmpOptions, type KmpOutcome } from '../host/kmp/index.js';
import { crcHex, type RejectReason } from '../kabi/index.js';
import { type CliContext, ExitCode } from './context.js';

/** Flags every `klpm kmp` subcommand shares. */
export interface KmpFlags {
  readonly root: string;
  readonly json?: boolean;
  /** false with --no-depmod */
  readonly depmod: boolean;
}

/**
 * Adds the shared flags; `--no-depmod` shows in `--help` only where the command changes links
 * (`depmod: true`), so each command's help lists only the flags that do something there.
 */
export function withKmpFlags(command: Command, { depmod }: { depmod: boolean }): Command {
  command
    .option('--root <dir>', 'the system root everything lives under', '/')
    .option('--json', 'print the resolution and the plan as JSON');
  const option = new Option('--no-depmod', 'do not run depmod for kernels whose links changed');
  // accepted and hidden where it has nothing to skip, so scripts that pass it to every kmp command run on
  return command.addOption(depmod ? option : option.hideHelp());
}

/** The host options of a command. */
export function kmpOptions(_ctx: CliContext, flags: KmpFlags, apply: boolean): KmpOptions {
  return { root: flags.root, reader: elfModuleReader, apply, depmod: flags.depmod };
}

/** Prints what happened and sets the exit code: 1 when a boot-critical gap blocked the change or depmod failed. */
export function report(
  ctx: CliContext,
  setExit: (code: number) => void,
  flags: KmpFlags,
  outcome: KmpOutcome,
): void {
  if (flags.json) ctx.stdout(`${JSON.stringify(outcomeJson(outcome), null, 2)}\n`);
  else ctx.stdout(renderOutcome(outcome));
  if (outcome.blocked.length > 0 || outcome.depmodFailures.length > 0) setExit(ExitCode.findings);
}

export function outcomeJson(outcome: KmpOutcome) {
  return {
    applied: outcome.applied,
    blocked: outcome.blocked,
    operations: outcome.operations,
    kernels: outcome.resolution.kernels,
    depmodFailures: outcome.depmodFailures,
    ...(outcome.kernelRead === undefined ? {} : { kernelRead: outcome.kernelRead }),
  };
}

export function renderOutcome(outcome: KmpOutcome): string {
  const out: string[] = [];
  const read = outcome.kernelRead;
  if (read)
    out.push(
      `read kernel ${read.release} (${read.flavor}): ${read.modules} module${read.modules === 1 ? '' : 's'}, symvers ${read.symvers}, ` +
        (read.initrdFile === null
          ? 'no initrd image or module list (give --initrd or --initrd-modules to guard initrd modules)'
          : `${read.initrd.length} initrd module${read.initrd.length === 1 ? '' : 's'} from ${read.initrdFile}`),
      '',
    );
  for (const k of outcome.resolution.kernels) {
    out.push(`kernel ${k.kernel} (${k.flavor})`);
    for (const c of k.chosen)
      out.push(`  ${c.package} ${c.version} built for ${c.builtFor}${c.own ? ' (own build)' : ''}`);
    for (const r of k.rejected)
      out.push(
        `  rejected ${r.package} ${r.version} built for ${r.builtFor}: ${r.reasons.map(reasonText).join('; ')}`,
      );
    for (const pkg of k.lost) out.push(`  lost ${pkg}: no compatible build any more`);
    for (const g of k.gaps)
      out.push(
        `  BOOT-CRITICAL GAP: ${g.package} (${g.because === 'marked' ? 'marked boot-critical' : 'module in initrd'})`,
      );
  }
  out.push('', outcome.operations.length === 0 ? 'plan: nothing to change' : 'plan:');
  for (const o of outcome.operations)
    out.push(
      o.op === 'depmod'
        ? `  depmod ${o.kernel}`
        : o.op === 'link'
          ? `  ${o.replaces ? 'replace' : 'link'} ${o.kernel}/weak-updates/${o.name} -> ${o.target}`
          : `  unlink ${o.kernel}/weak-updates/${o.name}`,
    );
  if (outcome.blocked.length > 0)
    out.push(
      '',
      `refused: ${outcome.blocked.map((g) => `kernel ${g.kernel} would lose boot-critical ${g.package}`).join(', ')}; nothing changed (add a compatible build first)`,
    );
  else out.push('', outcome.applied ? 'applied' : 'dry run: nothing changed');
  for (const f of outcome.depmodFailures)
    out.push(`depmod failed for ${f.kernel} (exit ${f.status}): ${f.stderr.trim()}`);
  return `${out.join('\n')}\n`;
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
