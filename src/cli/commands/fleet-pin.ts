import { Command } from 'commander';
import { labelSchema, type Pin } from '../../fleet/index.js';
import type { CommandFactory } from '../context.js';
import { fleetCall, fleetGet, withFleetErrors } from '../fleet-api.js';
import { UsageError } from '../usage-error.js';

interface PinOptions {
  host?: string;
  label?: string;
  component: string;
  replaceSet: string;
  server: string;
  token: string;
  json?: boolean;
}

/** The pin the flags name: exactly one of --host and --label, a component and a replace set. */
function pinTarget(opts: PinOptions) {
  if ((opts.host === undefined) === (opts.label === undefined))
    throw new UsageError('name exactly one of --host ID and --label k:v');
  if (opts.label !== undefined && !labelSchema.safeParse(opts.label).success)
    throw new UsageError(`--label '${opts.label}' is not k:v, such as site:ams1`);
  if (!/^\d{1,9}$/.test(opts.replaceSet))
    throw new UsageError(`--replace-set '${opts.replaceSet}' is not a number`);
  return {
    ...(opts.host === undefined ? { label: opts.label! } : { host: opts.host }),
    component: opts.component,
    replaceSet: Number(opts.replaceSet),
  };
}

const common = (command: Command, tokenRole: string) =>
  command
    .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
    .requiredOption('--token <file>', `a file holding an ${tokenRole} token`)
    .option('--json', 'print the answer as it came');

const targeted = (command: Command) =>
  command
    .option('--host <id>', 'the host the pin holds')
    .option('--label <k:v>', 'the label whose hosts the pin holds')
    .option('--component <name>', 'the component', 'kernel')
    .option('--replace-set <n>', 'the replace set', '0');

const render = (p: Pin) =>
  `${'host' in p.target ? `host ${p.target.host}` : `label ${p.target.label}`} ${p.component} replace set ${p.replaceSet} pinned to ${p.to} (by ${p.createdBy}, ${p.createdAt})`;

/** klpm fleet pin set --host ID|--label k:v --to V: PUT /v1/pins. */
export const fleetPinSetCommand: CommandFactory = (ctx, setExit) =>
  common(
    targeted(new Command('set').description('pin a host or label to a livepatch version (PUT /v1/pins)')),
    'admin',
  )
    .requiredOption('--to <version>', 'the version the hosts stay on')
    .action(async (opts: PinOptions & { to: string }) =>
      withFleetErrors(ctx, setExit, async () => {
        const pin = (await fleetCall(opts.server, opts.token, 'PUT', 'v1/pins', {
          ...pinTarget(opts),
          to: opts.to,
        })) as Pin;
        ctx.stdout(opts.json ? `${JSON.stringify(pin, null, 2)}\n` : `${render(pin)}\n`);
      }),
    );

/** klpm fleet pin list: GET /v1/pins. */
export const fleetPinListCommand: CommandFactory = (ctx, setExit) =>
  common(
    new Command('list').description('list the pins of a fleet server (GET /v1/pins)'),
    'admin or viewer',
  ).action(async (opts: { server: string; token: string; json?: boolean }) =>
    withFleetErrors(ctx, setExit, async () => {
      const answer = (await fleetGet(opts.server, opts.token, 'v1/pins')) as { pins: Pin[] };
      if (opts.json) return ctx.stdout(`${JSON.stringify(answer, null, 2)}\n`);
      ctx.stdout(answer.pins.length === 0 ? 'no pins\n' : `${answer.pins.map(render).join('\n')}\n`);
    }),
  );

/** klpm fleet pin delete --host ID|--label k:v: DELETE /v1/pins. */
export const fleetPinDeleteCommand: CommandFactory = (ctx, setExit) =>
  common(targeted(new Command('delete').description('remove a pin (DELETE /v1/pins)')), 'admin').action(
    async (opts: PinOptions) =>
      withFleetErrors(ctx, setExit, async () => {
        const answer = await fleetCall(opts.server, opts.token, 'DELETE', 'v1/pins', pinTarget(opts));
        ctx.stdout(opts.json ? `${JSON.stringify(answer, null, 2)}\n` : 'pin removed\n');
      }),
  );
