import { Command, Option } from 'commander';
import type { ReadProblem } from '../../host/index.js';
import { disagreementText, loadRepository, readRunningBuildId } from '../../host/livepatch/index.js';
import { answersForHost, type Component, indexRepository } from '../../repo/index.js';
import { checkDocument, renderCheck } from '../check-output.js';
import { type CommandFactory, ExitCode } from '../context.js';
import { readBuildIdFlag, readCount, readTime, readVersionReleaseFlag } from '../flags.js';
import { shown } from '../shown.js';

interface CheckOptions {
  repo: string;
  component: Component;
  buildId?: string;
  applied?: string;
  replaceSet?: string;
  root: string;
  now?: string;
  expiryWindow: string;
  json?: boolean;
  all?: boolean;
}

/** klpm check: which livepatch a host should apply, or that its build is end of life. */
export const checkCommand: CommandFactory = (ctx, setExit) =>
  new Command('check')
    .description('which livepatch this host should apply, or whether its kernel/xen build is end of life')
    .requiredOption('--repo <path>', 'repository root, repomd.xml, updateinfo.xml[.gz] or klpm index (.json)')
    .addOption(
      new Option('--component <name>', 'what is patched').choices(['kernel', 'xen']).default('kernel'),
    )
    .option('--build-id <hex>', 'running build ID (default: read from <root>/sys/kernel/notes)')
    .option(
      '--applied <version-release>',
      'livepatch version applied now (in --replace-set, else in the first set answered)',
    )
    .option(
      '--replace-set <n>',
      'answer for this replace set alone (default: every set published for the build)',
    )
    .option('--root <dir>', 'root of the host tree to read the build ID from', '/')
    .option('--now <iso>', 'evaluate coverage expiry at this time (default: now)')
    .option('--expiry-window <days>', 'warn when coverage ends within this many days', '30')
    .option('--json', 'print the result as JSON')
    .option('--all', 'list every candidate and rolled-up update (text shows the first 20 of each list)')
    .action(async (opts: CheckOptions) => {
      const time = readTime(opts);
      const replaceSet =
        opts.replaceSet === undefined ? undefined : readCount(opts.replaceSet, '--replace-set');
      const applied =
        opts.applied === undefined ? undefined : readVersionReleaseFlag(opts.applied, '--applied');
      // what reading the host met, as `status` names it: the answer is then for an unknown build
      const problems: ReadProblem[] = [];
      const buildId =
        opts.buildId !== undefined
          ? readBuildIdFlag(opts.buildId, '--build-id')
          : await readRunningBuildId(opts.root, opts.component, problems);
      const repository = await loadRepository(opts.repo);
      for (const warning of repository.warnings)
        ctx.stderr(`klpm: ${repository.source}: warning: ${warning}\n`);
      const answers = answersForHost(
        indexRepository(repository),
        { component: opts.component, buildId, applied, replaceSet },
        time,
      );
      // a manifest that is not what its file holds is a finding: the file is what the kernel runs
      const disagreements = repository.fileDisagreements ?? [];
      for (const d of disagreements)
        ctx.stderr(`klpm: ${repository.source}: finding: ${disagreementText(d)}\n`);
      if (disagreements.length > 0) setExit(ExitCode.findings);
      ctx.stdout(
        opts.json
          ? `${JSON.stringify({ ...checkDocument(answers), problems, ...(disagreements.length > 0 ? { fileDisagreements: disagreements } : {}) }, null, 2)}\n`
          : renderCheck(answers, opts.all) +
              problems.map((p) => `could not read ${shown(p.path)}: ${shown(p.problem)}\n`).join(''),
      );
    });
