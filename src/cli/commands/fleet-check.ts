import { Command } from 'commander';
import { worstStatus } from '../../fleet/index.js';
import { readLines } from '../../host/index.js';
import { loadRepository } from '../../host/livepatch/index.js';
import {
  type ApplicabilityStatus,
  fleetEvaluator,
  fleetHostReader,
  indexRepository,
  parseFleetHostLine,
  type SetAnswer,
} from '../../repo/index.js';
import { checkDocument } from '../check-output.js';
import { chunkedOutput } from '../chunked-output.js';
import type { CommandFactory } from '../context.js';
import { readTime } from '../flags.js';

const STATUSES: ReadonlyArray<ApplicabilityStatus> = [
  'supported',
  'kernel-upgrade-required',
  'kernel-end-of-life',
  'unsupported',
  'unknown',
];

/**
 * klpm fleet check: `klpm check` for every host of a hosts.jsonl file, every replace set the
 * repository publishes for each build. The file is read line by line and only each host's id and a
 * reference to its (shared) answers are kept; nothing is printed before the whole file has been
 * read, so a bad line prints nothing but the error.
 */
export const fleetCheckCommand: CommandFactory = (ctx) =>
  new Command('check')
    .description(
      'check every host of a JSON-lines file against a repository: summary table and per-host JSONL',
    )
    .requiredOption('--repo <path>', 'repository root, repomd.xml, updateinfo.xml[.gz] or klpm index (.json)')
    .requiredOption(
      '--hosts <file>',
      'JSON Lines (blank lines allowed): one object per line, {"id", "buildIds": {kernel, xen}, "applied", "replaceSet"}',
    )
    .option('--now <iso>', 'evaluate coverage expiry at this time (default: now)')
    .option('--expiry-window <days>', 'warn when coverage ends within this many days', '30')
    .option('--json', 'print only the per-host JSON lines')
    .action(
      async (opts: { repo: string; hosts: string; now?: string; expiryWindow: string; json?: boolean }) => {
        const time = readTime(opts);
        const repository = await loadRepository(opts.repo);
        for (const warning of repository.warnings)
          ctx.stderr(`klpm: ${repository.source}: warning: ${warning}\n`);
        const evaluate = fleetEvaluator(indexRepository(repository), time);
        const hostOf: string[] = [];
        const answersOf: Array<ReadonlyArray<SetAnswer>> = [];
        let hostCount = 0;
        let lineNumber = 0;
        const fast = fleetHostReader();
        for await (const line of readLines(opts.hosts)) {
          const host = parseFleetHostLine(line, opts.hosts, ++lineNumber, fast);
          if (host === undefined) continue;
          hostCount++;
          for (const answers of evaluate(host)) {
            hostOf.push(host.id);
            answersOf.push(answers);
          }
        }

        const out = chunkedOutput(ctx.stdout);
        if (!opts.json) out.write(`${hostCount} hosts\n${summaryTable(answersOf)}\n\n`);
        // hosts share answer objects: each is serialized once, and each line only adds the host
        const tails = new Map<ReadonlyArray<SetAnswer>, string>();
        answersOf.forEach((answers, i) => {
          let tail = tails.get(answers);
          if (tail === undefined) {
            tail = JSON.stringify(checkDocument(answers)).slice(1);
            tails.set(answers, tail);
          }
          out.write(`{"host":${JSON.stringify(hostOf[i])}${tail === '}' ? '' : ','}${tail}\n`);
        });
        out.flush();
      },
    );

/** Hosts per component and status, in the order of STATUSES; a host component counts once, under its worst replace set. */
function summaryTable(answersOf: ReadonlyArray<ReadonlyArray<SetAnswer>>): string {
  const counts = new Map<string, number>();
  for (const answers of answersOf) {
    const key = `${answers[0]!.answer.component}/${worstStatus(answers.map((a) => a.answer.status))}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const rows = ['component  status                    hosts'];
  for (const component of ['kernel', 'xen'])
    for (const status of STATUSES) {
      const n = counts.get(`${component}/${status}`);
      if (n) rows.push(`${component.padEnd(10)} ${status.padEnd(25)} ${String(n).padStart(5)}`);
    }
  return rows.join('\n');
}
