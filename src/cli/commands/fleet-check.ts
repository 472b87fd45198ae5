import { Command } from 'commander';
import { worstStatus } from '../../fleet/index.js';
import { readFileText } from '../../host/index.js';
import { loadRepository } from '../../host/livepatch/index.js';
import {
  type ApplicabilityStatus,
  evaluateFleet,
  indexRepository,
  parseFleetHosts,
} from '../../repo/index.js';
import { checkDocument } from '../check-output.js';
import type { CommandFactory } from '../context.js';
import { readTime } from '../flags.js';

const STATUSES: ReadonlyArray<ApplicabilityStatus> = [
  'supported',
  'kernel-upgrade-required',
  'kernel-end-of-life',
  'unsupported',
  'unknown',
];

/** klpm fleet check: `klpm check` for every host of a hosts.jsonl file. */
export const fleetCheckCommand: CommandFactory = (ctx) =>
  new Command('check')
    .description(
      'check every host of a JSON-lines file against a repository: summary table and per-host JSONL',
    )
    .requiredOption('--repo <path>', 'repository root, repomd.xml, updateinfo.xml[.gz] or klpm index (.json)')
    .requiredOption(
      '--hosts <file>',
      'one JSON object per line: {"id", "buildIds": {kernel, xen}, "applied", "replaceSet"}',
    )
    .option('--now <iso>', 'evaluate coverage expiry at this time (default: now)')
    .option('--expiry-window <days>', 'warn when coverage ends within this many days', '30')
    .option('--json', 'print only the per-host JSON lines')
    .action(
      async (opts: { repo: string; hosts: string; now?: string; expiryWindow: string; json?: boolean }) => {
        const time = readTime(opts);
        const hosts = parseFleetHosts(await readFileText(opts.hosts), opts.hosts);
        const repository = await loadRepository(opts.repo);
        for (const warning of repository.warnings)
          ctx.stderr(`klpm: ${repository.source}: warning: ${warning}\n`);
        const results = evaluateFleet(indexRepository(repository), hosts, time);
        const jsonl = results
          .map(({ host, answers }) => `${JSON.stringify({ host, ...checkDocument(answers) })}\n`)
          .join('');
        if (opts.json) {
          ctx.stdout(jsonl);
          return;
        }
        const counts = new Map<string, number>();
        // a host component counts once, under its worst replace set
        for (const { answers } of results) {
          const key = `${answers[0]!.answer.component}/${worstStatus(answers.map((a) => a.answer.status))}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const rows = ['component  status                    hosts'];
        for (const component of ['kernel', 'xen'])
          for (const status of STATUSES) {
            const n = counts.get(`${component}/${status}`);
            if (n) rows.push(`${component.padEnd(10)} ${status.padEnd(25)} ${String(n).padStart(5)}`);
          }
        ctx.stdout(`${hosts.length} hosts\n${rows.join('\n')}\n\n${jsonl}`);
      },
    );
