import { Command } from 'commander';
import { buildIndexFromDirectory, MODULE_MAP } from '../../host/livepatch/index.js';
import type { CommandFactory } from '../context.js';

interface RepoBuildFlags {
  map?: string;
  issued?: string;
  json?: boolean;
}

/** klpm repo build DIR: DIR/index.json for the livepatch modules under DIR and its mapping file (docs/repository.md). */
export const repoBuildCommand: CommandFactory = (ctx) =>
  new Command('build')
    .description(`write DIR/index.json for the livepatch modules under DIR, described by DIR/${MODULE_MAP}`)
    .argument('<dir>', 'directory of livepatch modules')
    .option('--map <file>', `the mapping file (default DIR/${MODULE_MAP})`)
    .option('--issued <date>', 'issue date of updates the map gives none, YYYY-MM-DD (default today, UTC)')
    .option('--json', 'print the entries written as JSON')
    .action(async (dir: string, opts: RepoBuildFlags) => {
      const result = await buildIndexFromDirectory(
        dir,
        opts.map,
        opts.issued ?? new Date().toISOString().slice(0, 10),
      );
      ctx.stdout(
        opts.json
          ? `${JSON.stringify({ index: result.index, livepatches: result.entries }, null, 2)}\n`
          : `${result.index}: ${result.entries.length} livepatch${result.entries.length === 1 ? '' : 'es'} (${result.entries.map((e) => e.name).join(', ')})\n`,
      );
    });
