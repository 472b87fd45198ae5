import { Command } from 'commander';
import type { FleetPlan } from '../../fleet/index.js';
import type { HostDetail } from '../../store/index.js';
import type { CommandFactory } from '../context.js';
import { fleetGet, withFleetErrors } from '../fleet-api.js';
import { UsageError } from '../usage-error.js';

/** klpm fleet host ID: one host, its latest report's kernel, its plan and its events. */
export const fleetHostCommand: CommandFactory = (ctx, setExit) =>
  new Command('host')
    .description('show one host of a fleet server: status, plan and events (GET /v1/hosts/{id})')
    .argument('<id>', 'the host id (klpm fleet hosts lists them)')
    .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
    .requiredOption('--token <file>', 'a file holding an admin or viewer token')
    .option('--json', 'print the answer of GET /v1/hosts/{id}')
    .action(async (id: string, opts: { server: string; token: string; json?: boolean }) =>
      withFleetErrors(ctx, setExit, async () => {
        if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new UsageError(`'${id}' is not a host id`);
        const detail = (await fleetGet(opts.server, opts.token, `v1/hosts/${id}`)) as HostDetail;
        ctx.stdout(opts.json ? `${JSON.stringify(detail, null, 2)}\n` : renderHost(detail));
      }),
    );

function renderHost({ host, plan, events }: HostDetail): string {
  const out = [
    `host ${host.id} (${host.hostname})${host.labels.length === 0 ? '' : ` labels ${host.labels.join(',')}`}`,
    `kernel: ${host.release ?? 'unknown'}  build ID: ${host.buildId ?? 'unknown'}`,
    `status: ${host.status}  reboot: ${host.reboot}  last seen: ${host.lastSeen ?? 'never'}`,
  ];
  // a server older than clone detection sends no conflict field
  if (typeof host.conflict === 'string') out.push(`conflict: ${host.conflict}`);
  out.push(...renderPlan(plan));
  for (const e of events) out.push(`event ${e.at} ${e.kind} ${JSON.stringify(e.detail)}`);
  return `${out.join('\n')}\n`;
}

function renderPlan(plan: FleetPlan | null): string[] {
  if (plan === null) return ['plan: none (no report yet)'];
  const out = [`plan ${plan.planHash}${plan.reason === '' ? '' : `: ${plan.reason}`}`];
  for (const set of plan.sets)
    out.push(
      `  replace set ${set.replaceSet}: ${set.kind}${set.to === null ? '' : ` to ${set.to}`}${set.reason === '' ? '' : `: ${set.reason}`}`,
    );
  if (plan.steps.length === 0) out.push('  nothing to do');
  return out;
}
