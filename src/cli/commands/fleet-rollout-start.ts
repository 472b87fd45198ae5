import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { parseJsonWithSchema } from '../../document/index.js';
import { type RolloutView, rolloutSpecSchema } from '../../fleet/index.js';
import type { CommandFactory } from '../context.js';
import { fleetCall, withFleetErrors } from '../fleet-api.js';
import { renderRollout } from '../rollout-output.js';
import { UsageError } from '../usage-error.js';

/** klpm fleet rollout start --file rollout.json: POST /v1/rollouts with the file, checked first. */
export const fleetRolloutStartCommand: CommandFactory = (ctx, setExit) =>
  new Command('start')
    .description('start a rollout in waves on a fleet server (POST /v1/rollouts)')
    .requiredOption('--file <rollout.json>', 'the rollout: component, replaceSet, to (or update), waves')
    .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
    .requiredOption('--token <file>', 'a file holding an admin token')
    .option('--json', 'print the answer of POST /v1/rollouts')
    .action(async (opts: { file: string; server: string; token: string; json?: boolean }) =>
      withFleetErrors(ctx, setExit, async () => {
        const text = await readFile(opts.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`--file ${opts.file}: cannot read it (${error.code ?? error.message})`);
        });
        const spec = parseJsonWithSchema(text, opts.file, rolloutSpecSchema);
        const view = (await fleetCall(opts.server, opts.token, 'POST', 'v1/rollouts', spec)) as RolloutView;
        ctx.stdout(opts.json ? `${JSON.stringify(view, null, 2)}\n` : renderRollout(view));
      }),
    );
