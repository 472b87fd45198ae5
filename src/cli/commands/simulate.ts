import { Command, Option } from 'commander';
import { readFileText } from '../../host/index.js';
import {
  DEBUG_MARK,
  debugOnlyIndexes,
  formatEvent,
  isDebugOnlyLine,
  parseScenario,
  runScenario,
  type Simulation,
  simulationLog,
} from '../../klp/index.js';
import { type CommandFactory, ExitCode } from '../context.js';
import { shown } from '../shown.js';

/** klpm simulate FILE: predicts what the kernel does for a scenario. */
export const simulateCommand: CommandFactory = (ctx, setExit) =>
  new Command('simulate')
    .description('predict every callback, transition and error of a livepatch scenario (YAML or JSON)')
    .argument('<file>', 'scenario file (docs/scenario.md)')
    .addOption(new Option('--log', 'print the kernel log the scenario would produce').conflicts('json'))
    .option('--json', 'print events, step results and the final sysfs view as JSON')
    .option('--strict', 'exit 1 when the kernel would refuse a step')
    .action(async (file: string, opts: { log?: boolean; json?: boolean; strict?: boolean }) => {
      const simulation = runScenario(parseScenario(await readFileText(file), file));
      if (opts.json) ctx.stdout(`${JSON.stringify(toJson(simulation), null, 2)}\n`);
      else if (opts.log)
        ctx.stdout(
          simulationLog(simulation)
            .map((line) => `${shown(line)}\n`)
            .join(''),
        );
      else ctx.stdout(renderText(simulation));
      const refused = simulation.steps.some((step) => step.error);
      if (opts.strict && refused) setExit(ExitCode.findings);
    });

function toJson(simulation: Simulation) {
  const log = simulationLog(simulation);
  return {
    kernel: simulation.kind,
    log,
    debugOnly: debugOnlyIndexes(log),
    steps: simulation.steps.map((step) => ({
      index: step.index,
      step: step.step,
      ok: step.error === undefined,
      ...(step.error
        ? {
            errno: step.error.errno,
            errnoNumber: step.error.number,
            message: step.error.message,
            ...(step.error.why ? { why: step.error.why } : {}),
          }
        : {}),
      events: step.events.map((event) => ({ ...event, text: formatEvent(event) })),
    })),
    sysfs: simulation.sysfs,
    modules: simulation.modules,
    funcs: simulation.funcs,
    tasks: simulation.tasks,
  };
}

function renderText(simulation: Simulation): string {
  const out: string[] = [`kernel: ${simulation.kind}`, ''];
  for (const step of simulation.steps) {
    out.push(
      `${String(step.index + 1).padStart(3)}. ${shown(step.step)}${step.error ? `  -> refused: ${step.error.errno} ${shown(step.error.message)}` : ''}`,
    );
    if (step.error?.why) out.push(`       why: ${shown(step.error.why)}`);
    for (const event of step.events) {
      const line = formatEvent(event);
      out.push(`       ${shown(line)}${isDebugOnlyLine(line) ? DEBUG_MARK : ''}`);
    }
  }
  if (simulationLog(simulation).some(isDebugOnlyLine))
    out.push('', '(debug): printed only with dynamic debug on (pr_debug); a stock dmesg lacks the line');
  out.push('', 'patches (/sys/kernel/livepatch):');
  if (simulation.sysfs.length === 0) out.push('  none');
  for (const patch of simulation.sysfs) {
    const extra = Object.entries(patch)
      .filter(([key]) => !['name', 'objects'].includes(key))
      .map(([key, value]) => `${key}=${shown(String(value))}`)
      .join(' ');
    out.push(`  ${shown(patch.name)}: ${extra}`);
    for (const obj of patch.objects)
      out.push(
        `    ${shown(obj.name)} patched=${obj.patched} funcs: ${obj.funcs.map(shown).join(' ') || '-'}`,
      );
  }
  const blocking = simulation.tasks.filter((task) => task.blocking);
  if (blocking.length > 0)
    out.push(
      '',
      `blocking the transition: ${blocking.map((t) => `${shown(t.name)} (in ${shown(String(t.sleepingIn))})`).join(', ')}`,
    );
  out.push(
    '',
    'modules: ' +
      (simulation.modules
        .map((m) => shown(m.name) + (m.livepatch && !m.removable ? ' (in use)' : ''))
        .join(' ') || 'none'),
  );
  return `${out.join('\n')}\n`;
}
