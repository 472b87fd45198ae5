import { Command } from 'commander';
import { readLineBatches } from '../../host/index.js';
import { loadRepository } from '../../host/livepatch/index.js';
import {
  type ApplicabilityStatus,
  fleetLineReader,
  indexRepository,
  type SetAnswer,
  worstStatus,
} from '../../repo/index.js';
import { checkDocument } from '../check-output.js';
import { chunkedOutput } from '../chunked-output.js';
import type { CommandFactory } from '../context.js';
import { readTime } from '../flags.js';
import { shownJson } from '../shown.js';

const STATUSES: ReadonlyArray<ApplicabilityStatus> = [
  'supported',
  'kernel-upgrade-required',
  'kernel-end-of-life',
  'unsupported',
  'unknown',
];

/**
 * klpm fleet check: `klpm check` for every host of a hosts.jsonl file, every replace set the
 * repository publishes for each build. The file is read line by line (fleetLineReader: lines of one
 * shape cost a lookup) and only each host's id and a reference to its (shared) answers are kept;
 * nothing is printed before the whole file has been read, so a bad line prints nothing but the
 * error. The output is then written in chunks, waiting for stdout to drain: a pipe read slowly
 * does not make klpm hold the whole listing in memory.
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
        const read = fleetLineReader(indexRepository(repository), time, opts.hosts);
        // per host component only its id and a reference to its (shared) answers are kept
        const hostOf: string[] = [];
        const answersOf: Array<ReadonlyArray<SetAnswer>> = [];
        let hostCount = 0;
        let lineNumber = 0;
        for await (const lines of readLineBatches(opts.hosts))
          for (const line of lines) {
            const host = read(line, ++lineNumber);
            if (host === undefined) continue;
            hostCount++;
            for (const answers of host.answers) {
              hostOf.push(host.id);
              answersOf.push(answers);
            }
          }

        const out = chunkedOutput(ctx.stdout, ctx.drained);
        if (!opts.json) await out.write(`${hostCount} hosts\n${summaryTable(answersOf)}\n\n`);
        // hosts share answer objects: each is serialized once, and each line only adds the host
        const tails = new Map<ReadonlyArray<SetAnswer>, string>();
        for (let i = 0; i < answersOf.length; i++) {
          const answers = answersOf[i]!;
          let tail = tails.get(answers);
          if (tail === undefined) {
            tail = shownJson(JSON.stringify(checkDocument(answers)).slice(1));
            tails.set(answers, tail);
          }
          const sent = out.write(
            `{"host":${shownJson(JSON.stringify(hostOf[i]))}${tail === '}' ? '' : ','}${tail}\n`,
          );
          if (sent !== undefined) await sent; // a tick only when a chunk went out
        }
        await out.flush();
      },
    );

/** Hosts per component and status, in the order of STATUSES; a host component counts once, under its worst replace set. */
function summaryTable(answersOf: ReadonlyArray<ReadonlyArray<SetAnswer>>): string {
  const perAnswers = new Map<ReadonlyArray<SetAnswer>, number>();
  for (const answers of answersOf) perAnswers.set(answers, (perAnswers.get(answers) ?? 0) + 1);
  const counts = new Map<string, number>();
  for (const [answers, n] of perAnswers) {
    const key = `${answers[0]!.answer.component}/${worstStatus(answers.map((a) => a.answer.status))}`;
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
  const rows = ['component  status                    hosts'];
  for (const component of ['kernel', 'xen'])
    for (const status of STATUSES) {
      const n = counts.get(`${component}/${status}`);
      if (n) rows.push(`${component.padEnd(10)} ${status.padEnd(25)} ${String(n).padStart(5)}`);
    }
  return rows.join('\n');
}
