import { Command } from 'commander';
import { AgentError, checkInOnce } from '../../agent/index.js';
import { type AgentFlags, agentOptions, renderCheckIn, withAgentFlags } from '../agent-flags.js';
import { type CommandFactory, ExitCode } from '../context.js';

/** klpm agent once: one check-in (enroll if needed, report, take the plan, apply it with --apply auto). */
export const agentOnceCommand: CommandFactory = (ctx, setExit) =>
  withAgentFlags(
    new Command('once').description(
      'check in with the fleet server once: enroll if needed, report this host, print (or apply) its plan',
    ),
  )
    .option('--json', 'print {"hostId","enrolled","seq","plan","applied","delivered","spooled"}')
    .action(async (flags: AgentFlags) => {
      const options = agentOptions(flags, 'once');
      try {
        const result = await checkInOnce(options);
        ctx.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : renderCheckIn(result));
        if (result.applied !== null && result.applied.outcome !== 'ok')
          setExit(result.applied.outcome === 'refused' ? ExitCode.refused : ExitCode.findings);
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        ctx.stderr(`klpm: ${error.message}\n`);
        setExit(ExitCode.findings);
      }
    });
