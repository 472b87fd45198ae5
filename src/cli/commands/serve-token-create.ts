import { Command } from 'commander';
import { statePath } from '../../host/index.js';
import { openStore, type Role } from '../../store/index.js';
import type { CommandFactory } from '../context.js';
import { UsageError } from '../usage-error.js';

/** klpm serve token create: an admin or viewer token, printed once; the database keeps its hash. */
export const serveTokenCreateCommand: CommandFactory = (ctx) =>
  new Command('create')
    .description('make an admin or viewer token for the fleet API and print it (only its hash is stored)')
    .option(
      '--db <file|url>',
      'the SQLite database file, or a postgres:// URL (default <root>/var/lib/klpm/fleet.db)',
    )
    .option('--root <dir>', 'the machine the default --db is under', '/')
    .option('--role <role>', 'admin (everything) or viewer (reads)')
    .option('--json', 'print {"role","token"}')
    .action(async (_flags: unknown, command: Command) => {
      // `klpm serve` has --db, --root and --json too, and takes them first: read them merged
      const opts = command.optsWithGlobals<{ db?: string; root: string; role?: string; json?: boolean }>();
      if (opts.role !== 'admin' && opts.role !== 'viewer')
        throw new UsageError(
          `--role must be admin or viewer${opts.role === undefined ? '' : `, not '${opts.role}'`}`,
        );
      const role: Role = opts.role;
      const store = await openStore(opts.db ?? statePath(opts.root, 'fleetDb'));
      try {
        const token = await store.createToken(role);
        ctx.stdout(opts.json ? `${JSON.stringify({ role, token })}\n` : `${token}\n`);
      } finally {
        await store.close();
      }
    });
