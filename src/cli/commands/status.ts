import { Command } from 'commander';
import {
  type LivepatchStatus,
  readLivepatchStatus,
  readStatusRepository,
  statusDocument,
} from '../../host/livepatch/index.js';
import { capped } from '../cap.js';
import type { CommandFactory } from '../context.js';
import { readTime } from '../flags.js';
import { shown } from '../shown.js';
import { blockingTaskLine } from '../update-command.js';

interface StatusFlags {
  root: string;
  repo?: string;
  json?: boolean;
  now?: string;
  expiryWindow: string;
  all?: boolean;
}

/** klpm status: kernel and build ID, loaded patches, transitions and who blocks them, the repository's offer. */
export const statusCommand: CommandFactory = (ctx) =>
  new Command('status')
    .description(
      'show the kernel, its build ID, loaded livepatches, transitions and blocking tasks, what the repository offers, and any interrupted plan',
    )
    .option('--root <dir>', 'read the machine under this directory', '/')
    .option('--repo <path>', 'repository to ask (default <root>/var/lib/klpm/repo when it exists)')
    .option('--now <iso>', 'evaluate livepatch coverage expiry at this time (default: now)')
    .option('--expiry-window <days>', 'warn when coverage ends within this many days', '30')
    .option('--json', 'print the status as JSON')
    .option('--all', 'list every patch, object, function and task (text shows the first 20 of each list)')
    .action(async (opts: StatusFlags) => {
      const asked = await readStatusRepository(opts.root, opts.repo);
      const repository =
        asked.repository === undefined ? undefined : { repository: asked.repository, time: readTime(opts) };
      const read = await readLivepatchStatus(opts.root, repository);
      const status =
        asked.problem === undefined ? read : { ...read, problems: [...read.problems, asked.problem] };
      if (opts.json) {
        ctx.stdout(`${JSON.stringify(statusDocument(status), null, 2)}\n`);
      } else {
        ctx.stdout(renderStatus(status, opts.all));
      }
    });

export function renderStatus(status: LivepatchStatus, all?: boolean): string {
  const out = [
    `kernel: ${shown(status.release ?? 'unknown')}  build ID: ${status.buildId ?? 'unknown'}`,
    `livepatch: ${status.livepatchable.ok ? 'yes' : 'no'} (${status.livepatchable.reason}); kind: ${status.kind ?? 'not shown until a patch is loaded'}`,
  ];
  if (status.patches.length === 0) out.push('patches: none');
  const patches = status.patches.map((p) => {
    const set =
      p.replaceSet !== undefined
        ? ` replace_set=${p.replaceSet}`
        : p.provides !== undefined
          ? ` provides=${p.provides} obsoletes=${p.obsoletes?.join(',') ?? ''}`
          : p.replace !== undefined
            ? ` replace=${p.replace ? 1 : 0}`
            : '';
    const state = p.transition ? (p.enabled ? 'patching' : 'unpatching') : p.enabled ? 'enabled' : 'disabled';
    const objects = p.objects.map(
      (o) =>
        `    ${shown(o.name)}${o.patched ? '' : ' (not loaded)'}: ${
          capped(
            o.funcs.map((f) => shown(f.name)),
            all,
            'functions',
          ).join(' ') || '-'
        }`,
    );
    return [
      `  ${shown(p.name)} ${shown(p.version ?? '(no version)')}: ${state}${set}`,
      ...capped(objects, all, 'objects'),
    ].join('\n');
  });
  out.push(...capped(patches, all, 'patches'));
  if (status.blocking.length > 0) {
    out.push('blocking the transition:');
    out.push(...capped(status.blocking.map(blockingTaskLine), all, 'tasks'));
  }
  if (status.repository) {
    out.push(`repository: ${shown(status.repository.source)}`);
    for (const { replaceSet, answer } of status.repository.answers)
      out.push(
        `  replace set ${replaceSet}: ${answer.status}${answer.apply ? `, offers ${answer.apply.to} (${answer.apply.update})` : ''}: ${answer.reason}`,
      );
  }
  out.push(`reboot needed: ${status.reboot ? 'yes' : 'no'}`);
  if (status.interrupted) {
    out.push(
      `interrupted: plan ${status.interrupted.id} (${status.interrupted.kind}) started ${status.interrupted.startedAt} never finished; klpm apply resumes it`,
    );
  }
  out.push(
    ...capped(
      status.problems.map((p) => `could not read ${p.path}: ${p.problem}`),
      all,
      'unreadable paths',
    ),
  );
  return `${out.join('\n')}\n`;
}
