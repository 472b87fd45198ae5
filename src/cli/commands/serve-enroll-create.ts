import { Command } from 'commander';
import { labelSchema } from '../../fleet/index.js';
import { statePath } from '../../host/index.js';
import { isoTime } from '../../repo/index.js';
import { openStore } from '../../store/index.js';
import type { CommandFactory } from '../context.js';
import { readCount } from '../flags.js';
import { UsageError } from '../usage-error.js';

interface EnrollFlags {
  db?: string;
  root: string;
  expires?: string;
  maxHosts?: string;
  label: string[];
  json?: boolean;
}

/** klpm serve enroll create: an enrollment secret, printed once; the database keeps its hash. */
export const serveEnrollCreateCommand: CommandFactory = (ctx) =>
  new Command('create')
    .description('make an enrollment secret for agents and print it (only its hash is stored)')
    .option(
      '--db <file|url>',
      'the SQLite database file, or a postgres:// URL (default <root>/var/lib/klpm/fleet.db)',
    )
    .option('--root <dir>', 'the machine the default --db is under', '/')
    .option('--expires <date>', 'refuse the secret from this ISO date or time on')
    .option('--max-hosts <n>', 'enroll at most this many hosts with it')
    .option('--label <k:v>', 'a label every host enrolled with it gets (repeatable)', collect, [])
    .option('--json', 'print {"secret","expires","maxHosts","labels"}')
    .action(async (_flags: unknown, command: Command) => {
      // `klpm serve` has --db, --root and --json too, and takes them first: read them merged
      const opts = command.optsWithGlobals<EnrollFlags>();
      const expires = opts.expires === undefined ? undefined : isoTime(opts.expires);
      if (opts.expires !== undefined && expires === undefined)
        throw new UsageError(
          `--expires '${opts.expires}' is not an ISO date of the calendar, such as 2026-12-31`,
        );
      const maxHosts = opts.maxHosts === undefined ? undefined : readCount(opts.maxHosts, '--max-hosts');
      for (const label of opts.label)
        if (!labelSchema.safeParse(label).success)
          throw new UsageError(`--label '${label}' is not k:v, such as site:ams1`);
      const store = await openStore(opts.db ?? statePath(opts.root, 'fleetDb'));
      try {
        const secret = await store.createEnrollSecret({ expires, maxHosts, labels: opts.label });
        ctx.stdout(
          opts.json
            ? `${JSON.stringify({
                secret,
                expires: expires === undefined ? null : new Date(expires).toISOString(),
                maxHosts: maxHosts ?? null,
                labels: opts.label,
              })}\n`
            : `${secret}\n`,
        );
      } finally {
        await store.close();
      }
    });

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
