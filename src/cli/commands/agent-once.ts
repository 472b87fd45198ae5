import { Command } from 'commander';
import { AgentError, checkInOnce } from '../../agent/index.js';
import { type FleetPlan, parseDuration } from '../../fleet/index.js';
import { type CommandFactory, ExitCode } from '../context.js';
import { UsageError } from '../usage-error.js';

interface AgentFlags {
  server?: string;
  enrollSecret?: string;
  root: string;
  apply: string;
  interval: string;
  json?: boolean;
}

/** klpm agent once: one check-in (enroll if needed, report, print the plan the server answers). */
export const agentOnceCommand: CommandFactory = (ctx, setExit) =>
  new Command('once')
    .description('check in with the fleet server once: enroll if needed, report this host, print its plan')
    .option('--server <url>', 'the fleet server, such as http://fleet.example:7470 (required)')
    .option('--enroll-secret <file>', 'a file holding the enrollment secret (required to enroll)')
    .option('--root <dir>', 'read the machine under this directory', '/')
    .option('--apply <when>', 'never: report and print the plan only (applying is not built yet)', 'never')
    .option(
      '--interval <duration>',
      'the check-in interval the server judges silence by (30s, 10m, 2h, 1d)',
      '10m',
    )
    .option('--json', 'print {"hostId","enrolled","seq","plan"}')
    .action(async (opts: AgentFlags) => {
      if (opts.server === undefined) throw new UsageError('klpm agent once needs --server URL');
      if (opts.enrollSecret === undefined)
        throw new UsageError(
          'klpm agent once needs --enroll-secret FILE (read only until the host is enrolled)',
        );
      if (opts.apply !== 'never')
        throw new UsageError(
          `--apply ${opts.apply}: only never is built so far (the agent reports and prints the plan)`,
        );
      const intervalMs = parseDuration(opts.interval);
      if (intervalMs === undefined || intervalMs < 1000)
        throw new UsageError(`--interval '${opts.interval}' is not a duration such as 30s, 10m, 2h or 1d`);
      try {
        const result = await checkInOnce({
          server: opts.server,
          enrollSecretFile: opts.enrollSecret,
          root: opts.root,
          interval: intervalMs / 1000,
        });
        ctx.stdout(opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderCheckIn(result));
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        ctx.stderr(`klpm: ${error.message}\n`);
        setExit(ExitCode.findings);
      }
    });

function renderCheckIn(result: { hostId: string; enrolled: boolean; seq: number; plan: FleetPlan }): string {
  const out = [
    `host ${result.hostId}${result.enrolled ? ' (enrolled now)' : ''}: report ${result.seq} stored`,
  ];
  out.push(`plan ${result.plan.planHash}${result.plan.reason === '' ? '' : `: ${result.plan.reason}`}`);
  for (const set of result.plan.sets) {
    out.push(
      `  replace set ${set.replaceSet}: ${set.kind}${set.to === null ? '' : ` to ${set.to}`}${set.reason === '' ? '' : `: ${set.reason}`}`,
    );
    for (const step of set.steps)
      out.push(`    ${step.op} ${step.patch}${step.op === 'load' && step.version ? ` ${step.version}` : ''}`);
  }
  if (result.plan.steps.length === 0) out.push('  nothing to do');
  return `${out.join('\n')}\n`;
}
