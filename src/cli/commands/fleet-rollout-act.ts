import { Command } from 'commander';
import type { RolloutAction, RolloutView } from '../../fleet/index.js';
import type { CommandFactory } from '../context.js';
import { fleetCall, withFleetErrors } from '../fleet-api.js';
import { renderRollout } from '../rollout-output.js';
import { UsageError } from '../usage-error.js';

const WHAT: Readonly<Record<RolloutAction, string>> = {
  pause: 'pause a running rollout: no wave opens until it resumes',
  resume: 'resume a halted (acknowledging its failures) or paused rollout',
  abort: 'abort a rollout: no wave opens again',
  rollback: 'roll a rollout back: the hosts of its opened waves are planned back to what they ran',
};

/** klpm fleet rollout pause|resume|abort|rollback ID: POST /v1/rollouts/{id}/ACTION, one command each. */
const actionCommand =
  (action: RolloutAction): CommandFactory =>
  (ctx, setExit) =>
    new Command(action)
      .description(`${WHAT[action]} (POST /v1/rollouts/{id}/${action})`)
      .argument('<id>', 'the rollout id (klpm fleet rollout status lists them)')
      .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
      .requiredOption('--token <file>', 'a file holding an admin token')
      .option('--json', 'print the answer as it came')
      .action(async (id: string, opts: { server: string; token: string; json?: boolean }) =>
        withFleetErrors(ctx, setExit, async () => {
          if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`'${id}' is not a rollout id`);
          const view = (await fleetCall(
            opts.server,
            opts.token,
            'POST',
            `v1/rollouts/${id}/${action}`,
          )) as RolloutView;
          ctx.stdout(opts.json ? `${JSON.stringify(view, null, 2)}\n` : renderRollout(view));
        }),
      );

export const fleetRolloutPauseCommand = actionCommand('pause');
export const fleetRolloutResumeCommand = actionCommand('resume');
export const fleetRolloutAbortCommand = actionCommand('abort');
export const fleetRolloutRollbackCommand = actionCommand('rollback');
