import { Command, Option } from 'commander';
import { addModuleToIndex } from '../../host/livepatch/index.js';
import type { CommandFactory } from '../context.js';
import { readBuildIdFlag, readCount, readVersionReleaseFlag } from '../flags.js';
import { UsageError } from '../usage-error.js';

interface RepoAddFlags {
  index: string;
  baseBuildId: string;
  base: string;
  to: string;
  component: 'kernel' | 'xen';
  replaceSet: string;
  update?: string;
  issued?: string;
  expires?: string;
  json?: boolean;
}

/** klpm repo add --index INDEX FILE.ko ...: one livepatch module into klpm's JSON index (docs/repository.md). */
export const repoAddCommand: CommandFactory = (ctx) =>
  new Command('add')
    .description("add a livepatch module to klpm's JSON index, with its sha256 and the manifest read from it")
    .argument(
      '<file>',
      'livepatch module (.ko, .ko.gz, .ko.xz, .ko.zst); copied next to the index when outside its directory',
    )
    .requiredOption('--index <file>', 'the JSON index to add to (created when missing)')
    .requiredOption('--base-build-id <hex>', 'GNU build ID of the kernel (or Xen) build the livepatch is for')
    .requiredOption('--base <version>', 'version-release of that build')
    .requiredOption('--to <version>', 'version-release the host reports once the livepatch is applied')
    .addOption(
      new Option('--component <name>', 'what the livepatch patches')
        .choices(['kernel', 'xen'])
        .default('kernel'),
    )
    .option('--replace-set <n>', 'replace set of the livepatch', '0')
    .option('--update <id>', 'update (advisory) id to add to (default <patch name>-<to>)')
    .option('--issued <date>', 'issue date of a new update, YYYY-MM-DD (default today, UTC)')
    .option('--expires <date>', 'date the vendor stops covering the base with livepatches, YYYY-MM-DD')
    .option('--json', 'print the added entry as JSON')
    .action(async (file: string, opts: RepoAddFlags) => {
      if (opts.expires !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.expires))
        throw new UsageError(`--expires '${opts.expires}' is not a date YYYY-MM-DD`);
      const result = await addModuleToIndex({
        index: opts.index,
        file,
        component: opts.component,
        baseBuildId: readBuildIdFlag(opts.baseBuildId, '--base-build-id'),
        base: readVersionReleaseFlag(opts.base, '--base'),
        to: readVersionReleaseFlag(opts.to, '--to'),
        replaceSet: readCount(opts.replaceSet, '--replace-set'),
        update: opts.update,
        issued: opts.issued ?? new Date().toISOString().slice(0, 10),
        expires: opts.expires,
      });
      ctx.stdout(
        opts.json
          ? `${JSON.stringify({ index: result.index, update: result.update, copied: result.copied, livepatch: result.entry }, null, 2)}\n`
          : `${result.index}: added '${result.entry.name}' (${result.entry.component} ${result.entry.base} -> ${result.entry.to}, replace set ${result.entry.replaceSet}) to update ${result.update}${result.copied ? `; copied the file to ${result.file}` : ''}\n`,
      );
    });
