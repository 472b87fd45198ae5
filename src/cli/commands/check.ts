import { Command, Option } from 'commander';
import { loadRepository, readRunningBuildId } from '../../host/livepatch/index.js';
import { type Applicability, type Component, evaluateHost, indexRepository } from '../../repo/index.js';
import type { CommandFactory } from '../context.js';
import { readBuildIdFlag, readCount, readTime, readVersionReleaseFlag } from '../flags.js';

interface CheckOptions {
  repo: string;
  component: Component;
  buildId?: string;
  applied?: string;
  replaceSet: string;
  root: string;
  now?: string;
  expiryWindow: string;
  json?: boolean;
}

/** klpm check: which livepatch a host should apply, or that its build is end of life. */
export const checkCommand: CommandFactory = (ctx) =>
  new Command('check')
    .description('which livepatch this host should apply, or whether its kernel/xen build is end of life')
    .requiredOption('--repo <path>', 'repository root, repomd.xml, updateinfo.xml[.gz] or klpm index (.json)')
    .addOption(
      new Option('--component <name>', 'what is patched').choices(['kernel', 'xen']).default('kernel'),
    )
    .option('--build-id <hex>', 'running build ID (default: read from <root>/sys/kernel/notes)')
    .option('--applied <version-release>', 'livepatch version applied now')
    .option('--replace-set <n>', 'replace set of the livepatches', '0')
    .option('--root <dir>', 'root of the host tree to read the build ID from', '/')
    .option('--now <iso>', 'evaluate coverage expiry at this time (default: now)')
    .option('--expiry-window <days>', 'warn when coverage ends within this many days', '30')
    .option('--json', 'print the result as JSON')
    .action(async (opts: CheckOptions) => {
      const time = readTime(opts);
      const replaceSet = readCount(opts.replaceSet, '--replace-set');
      const applied =
        opts.applied === undefined ? undefined : readVersionReleaseFlag(opts.applied, '--applied');
      const buildId =
        opts.buildId !== undefined
          ? readBuildIdFlag(opts.buildId, '--build-id')
          : await readRunningBuildId(opts.root, opts.component);
      const repository = await loadRepository(opts.repo);
      for (const warning of repository.warnings)
        ctx.stderr(`klpm: ${repository.source}: warning: ${warning}\n`);
      const result = evaluateHost(
        indexRepository(repository),
        { component: opts.component, buildId, applied, replaceSet },
        time,
      );
      ctx.stdout(opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderCheck(result));
    });

function renderCheck(r: Applicability): string {
  const lines = [
    `${r.component} build ${r.buildId ?? '(unknown)'}: ${r.status}${r.eol ? ' (end of life)' : ''}`,
    // the pure answer says what is missing; the command says which flag gives it
    `  ${r.reason}${r.buildId === undefined ? '; pass --build-id' : ''}`,
  ];
  if (r.apply) lines.push(`  apply:      ${r.apply.to} (from ${r.apply.update}, base ${r.apply.base})`);
  if (r.candidates.length > 0)
    lines.push(`  candidates: ${r.candidates.map((c) => `${c.to} (${c.update})`).join(', ')}`);
  if (r.rolledUp.length > 0) lines.push(`  rolled up:  ${r.rolledUp.join(', ')}`);
  lines.push(`  reboot:     ${r.reboot}`);
  const g = r.guidance;
  if (g.mandatory.length + g.recommended.length + g.full.length > 0)
    lines.push(
      `  guidance:   mandatory ${g.mandatory.join(' ') || '-'}; recommended ${g.recommended.join(' ') || '-'}; full ${g.full.join(' ') || '-'}`,
    );
  return `${lines.join('\n')}\n`;
}
