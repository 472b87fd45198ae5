import { Command } from 'commander';
import { runAgent } from '../../agent/index.js';
import { type AgentFlags, agentOptions, renderCheckIn, withAgentFlags } from '../agent-flags.js';
import type { CommandFactory } from '../context.js';

/**
 * klpm agent run: check in at the interval plus jitter until SIGINT or SIGTERM; a failed check-in
 * is one line on standard error and is retried with exponential back-off (docs/fleet.md).
 */
export const agentRunCommand: CommandFactory = (ctx) =>
  withAgentFlags(
    new Command('run').description(
      'check in with the fleet server at every interval until stopped (the systemd service runs this)',
    ),
  )
    .option('--json', 'print each check-in as one JSON line')
    .action(async (flags: AgentFlags) => {
      const options = agentOptions(flags, 'run');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await runAgent({
          ...options,
          signal: stop.signal,
          onCheckIn: (result) => {
            if (!result.ok) ctx.stderr(`klpm: ${result.reason}\n`);
            else
              ctx.stdout(flags.json ? `${JSON.stringify(result.checkIn)}\n` : renderCheckIn(result.checkIn));
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
