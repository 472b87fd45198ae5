import { Command } from 'commander';
import type { RolloutView } from '../../fleet/index.js';
import type { CommandFactory } from '../context.js';
import { fleetGet, withFleetErrors } from '../fleet-api.js';
import { renderRollout } from '../rollout-output.js';
import { UsageError } from '../usage-error.js';

/** klpm fleet rollout status [ID]: one rollout (GET /v1/rollouts/{id}), or every one. */
export const fleetRolloutStatusCommand: CommandFactory = (ctx, setExit) =>
  new Command('status')
    .description('show a rollout of a fleet server, or every rollout (GET /v1/rollouts[/{id}])')
    .argument('[id]', 'the rollout id; without it, every rollout')
    .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
    .requiredOption('--token <file>', 'a file holding an admin or viewer token')
    .option('--json', 'print the answer as it came')
    .action(async (id: string | undefined, opts: { server: string; token: string; json?: boolean }) =>
      withFleetErrors(ctx, setExit, async () => {
        if (id !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(id))
          throw new UsageError(`'${id}' is not a rollout id`);
        const answer = await fleetGet(
          opts.server,
          opts.token,
          id === undefined ? 'v1/rollouts' : `v1/rollouts/${id}`,
        );
        if (opts.json) return ctx.stdout(`${JSON.stringify(answer, null, 2)}\n`);
        const views =
          id === undefined ? (answer as { rollouts: RolloutView[] }).rollouts : [answer as RolloutView];
        ctx.stdout(views.length === 0 ? 'no rollouts\n' : views.map(renderRollout).join(''));
      }),
    );
