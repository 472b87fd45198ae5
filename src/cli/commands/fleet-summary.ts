import { Command } from 'commander';
import type { FleetSummary } from '../../fleet/index.js';
import type { CommandFactory } from '../context.js';
import { fleetGet, withFleetErrors } from '../fleet-api.js';

/** klpm fleet summary: hosts per status and reboot need, the silent ones, and per build. */
export const fleetSummaryCommand: CommandFactory = (ctx, setExit) =>
  new Command('summary')
    .description(
      'summarize a fleet server: hosts per status, reboot need, silence and build (GET /v1/summary)',
    )
    .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
    .requiredOption('--token <file>', 'a file holding an admin or viewer token')
    .option('--json', 'print the answer of GET /v1/summary')
    .action(async (opts: { server: string; token: string; json?: boolean }) =>
      withFleetErrors(ctx, setExit, async () => {
        const summary = (await fleetGet(opts.server, opts.token, 'v1/summary')) as FleetSummary;
        if (opts.json) {
          ctx.stdout(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        const pairs = (counts: Record<string, number>) =>
          Object.entries(counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
        const out = [
          `hosts: ${summary.hosts} (silent ${summary.silent})`,
          `status: ${pairs(summary.status)}`,
          `reboot: ${pairs(summary.reboot)}`,
          ...summary.builds.map(
            (b) =>
              `build ${b.buildId ?? 'unknown'} (${b.release ?? 'unknown'}): ${b.hosts} hosts, ${b.status}${b.expires === null ? '' : `, coverage ${Date.parse(`${b.expires}T00:00:00Z`) <= Date.now() ? 'ended' : 'ends'} ${b.expires}`}`,
          ),
        ];
        ctx.stdout(`${out.join('\n')}\n`);
      }),
    );
