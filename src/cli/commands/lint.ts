import { Command, Option } from 'commander';
import { lintFiles } from '../../host/index.js';
import { DEBUG_MARK, debugOnlyIndexes, isDebugOnlyLine, type KernelKind } from '../../klp/index.js';
import type { BuildRef, Finding, LintReport } from '../../lint/index.js';
import type { PlanStep } from '../../plan/index.js';
import { cap, moreLine } from '../cap.js';
import { type CommandFactory, ExitCode } from '../context.js';
import { shown } from '../shown.js';

interface LintFlags {
  previous?: string[];
  set?: string[];
  kernel: KernelKind;
  kernelRelease?: string;
  symbols?: string;
  json?: boolean;
  strict?: boolean;
  all?: boolean;
}

/** klpm lint NEW: release checks of a livepatch build against the builds it replaces and other sets (docs/lint.md). */
export const lintCommand: CommandFactory = (ctx, setExit) =>
  new Command('lint')
    .description(
      'release checks of a livepatch build (.ko or manifest): dropped fixes, states, other sets, downgrades, callbacks, module hygiene, and the predicted kernel log',
    )
    .argument('<new>', 'the new build: a livepatch module (.ko) or a patch manifest (JSON or YAML)')
    .option(
      '--previous <file...>',
      'earlier (or later) builds of the same replace set; NEW replaces the newest older one',
    )
    .option('--set <file...>', 'patches of other replace sets that may be loaded beside it')
    .addOption(
      new Option('--kernel <kind>', 'the kernel kind')
        .choices(['replace-bool', 'replace-set', 'provides'])
        .default('replace-bool'),
    )
    .option('--kernel-release <release>', 'the kernel release (uname -r) the build is for: checks vermagic')
    .option(
      '--symbols <file>',
      "the kernel's System.map or a /proc/kallsyms dump: checks every symbol the patch resolves",
    )
    .option('--json', 'print the findings and the predicted kernel log as JSON')
    .option('--strict', 'exit 1 on warnings too')
    .option('--all', 'list every finding (text output lists the first 20)')
    .action(async (next: string, opts: LintFlags) => {
      const report = await lintFiles({
        next,
        previous: opts.previous ?? [],
        others: opts.set ?? [],
        kernel: opts.kernel,
        kernelRelease: opts.kernelRelease,
        symbols: opts.symbols,
      });
      const errors = report.findings.filter((f) => f.severity === 'error').length;
      const warnings = report.findings.length - errors;
      const exitCode = errors > 0 || (opts.strict && warnings > 0) ? ExitCode.findings : ExitCode.ok;
      if (opts.json) ctx.stdout(`${JSON.stringify(toJson(report, exitCode), null, 2)}\n`);
      else ctx.stdout(renderText(report, errors, warnings, opts.all));
      setExit(exitCode);
    });

function toJson(report: LintReport, exitCode: number) {
  const { prediction } = report;
  return {
    kernel: report.kernel,
    new: report.next,
    replaces: report.replaces ?? null,
    findings: report.findings.map((f) => (f.log ? { ...f, debugOnly: debugOnlyIndexes(f.log) } : f)),
    plan: {
      kind: prediction.kind,
      loaded: prediction.loaded,
      steps: prediction.steps,
      notes: prediction.notes,
      ...(prediction.reason === undefined ? {} : { reason: prediction.reason }),
    },
    log: prediction.log,
    debugOnly: debugOnlyIndexes(prediction.log),
    notes: report.notes,
    exitCode,
  };
}

const build = (b: BuildRef) =>
  `${shown(b.name)}${b.version === undefined ? '' : ` ${shown(b.version)}`} (${shown(b.file)})`;

function step(s: PlanStep): string {
  if (s.op === 'wait-removed') return `wait until /sys/kernel/livepatch/${shown(s.patch)} is gone`;
  return `${s.op} ${shown(s.patch)}${s.op === 'load' && s.version ? ` ${shown(s.version)}` : ''}`;
}

function logLines(log: ReadonlyArray<string>, indent: string): string[] {
  return log.map((line) => `${indent}${line}${isDebugOnlyLine(line) ? DEBUG_MARK : ''}`);
}

function renderFinding(f: Finding, shownLog: ReadonlyArray<string>): string[] {
  const out = [`${f.severity} ${f.rule}: ${shown(f.message)}`];
  // a downgrade's log is printed once: here, unless it is the plan printed below
  if (f.log && f.log.length > 0 && f.log.join('\n') !== shownLog.join('\n'))
    out.push('    predicted kernel log:', ...logLines(f.log, '      '));
  return out;
}

function renderText(report: LintReport, errors: number, warnings: number, all: boolean | undefined): string {
  const { prediction } = report;
  const out = [
    `${build(report.next)} on a ${report.kernel} kernel${report.replaces ? `, replacing ${build(report.replaces)}` : ''}`,
    '',
  ];
  const { shown: listed, hidden } = cap(report.findings, all);
  for (const f of listed) out.push(...renderFinding(f, prediction.log));
  if (hidden > 0) out.push(moreLine(hidden, 'findings'));
  if (report.findings.length > 0) out.push('');
  const loaded =
    prediction.loaded.length === 0 ? 'nothing loaded' : `${prediction.loaded.map(shown).join(', ')} loaded`;
  out.push(
    prediction.kind === 'refused'
      ? `plan from ${loaded}: refused: ${shown(prediction.reason ?? '')}`
      : `plan from ${loaded}: ${prediction.kind}`,
  );
  prediction.steps.forEach((s, i) => {
    out.push(`  ${i + 1}. ${step(s)}`);
  });
  for (const note of prediction.notes) out.push(`  note: ${shown(note)}`);
  out.push('predicted kernel log:', ...logLines(prediction.log, '  '));
  const logs = [prediction.log, ...report.findings.map((f) => f.log ?? [])];
  if (logs.some((log) => log.some(isDebugOnlyLine)))
    out.push('(debug): printed only with dynamic debug on (pr_debug); a stock dmesg lacks the line');
  for (const note of report.notes) out.push(`note: ${shown(note)}`);
  out.push('', `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${out.join('\n')}\n`;
}
