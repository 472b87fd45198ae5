import { Command } from 'commander';
import { capped } from '../cap.js';
import type { CommandFactory } from '../context.js';
import { fleetGet, withFleetErrors } from '../fleet-api.js';

interface HostsFlags {
  server: string;
  token: string;
  status?: string;
  reboot?: string;
  buildId?: string;
  release?: string;
  label: string[];
  silent?: boolean;
  checkinAge?: string;
  search?: string;
  substring?: boolean;
  limit?: string;
  cursor?: string;
  json?: boolean;
  all?: boolean;
}

interface HostsAnswer {
  hosts: Array<{
    id: string;
    hostname: string;
    buildId: string | null;
    status: string;
    reboot: string;
    lastSeen: string | null;
    labels: string[];
  }>;
  next: string | null;
}

/** klpm fleet hosts: one page of the server's host list, filtered as GET /v1/hosts filters. */
export const fleetHostsCommand: CommandFactory = (ctx, setExit) =>
  new Command('hosts')
    .description('list the hosts a fleet server knows, filtered (GET /v1/hosts)')
    .requiredOption('--server <url>', 'the fleet server, such as http://127.0.0.1:7470')
    .requiredOption('--token <file>', 'a file holding an admin or viewer token')
    .option(
      '--status <status>',
      'supported, kernel-upgrade-required, kernel-end-of-life, unsupported or unknown',
    )
    .option('--reboot <need>', 'no, yes or yes-livepatch-covered')
    .option('--build-id <id>', "the running kernel's build ID")
    .option('--release <release>', 'uname -r')
    .option(
      '--label <k:v>',
      'a label every listed host has (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--silent', 'only hosts with no report for twice their interval')
    .option('--checkin-age <duration>', 'only hosts seen within this long (30s, 10m, 2h, 1d)')
    .option('--search <text>', 'hosts whose hostname (any case) or id begins with this text')
    .option('--substring', 'with --search: the text anywhere in the hostname or id')
    .option('--limit <n>', 'hosts per page (default 100, at most 1000)')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print the answer of GET /v1/hosts')
    .option('--all', 'list every host of the page (text shows the first 20)')
    .action(async (opts: HostsFlags) =>
      withFleetErrors(ctx, setExit, async () => {
        const query = new URLSearchParams();
        const set = (key: string, value: string | undefined) => value !== undefined && query.set(key, value);
        set('status', opts.status);
        set('reboot', opts.reboot);
        set('buildId', opts.buildId);
        set('release', opts.release);
        for (const label of opts.label) query.append('label', label);
        if (opts.silent) query.set('silent', 'true');
        set('checkinAge', opts.checkinAge);
        set('q', opts.search);
        if (opts.substring) query.set('match', 'substring');
        set('limit', opts.limit);
        set('cursor', opts.cursor);
        const answer = (await fleetGet(opts.server, opts.token, `v1/hosts?${query}`)) as HostsAnswer;
        if (opts.json) {
          ctx.stdout(`${JSON.stringify(answer, null, 2)}\n`);
          return;
        }
        const lines = capped(
          answer.hosts.map(
            (h) =>
              `${h.id}  ${h.hostname}  ${h.status}  reboot=${h.reboot}  build=${h.buildId ?? 'unknown'}  seen=${h.lastSeen ?? 'never'}${h.labels.length === 0 ? '' : `  ${h.labels.join(',')}`}`,
          ),
          opts.all,
          'hosts',
        );
        if (lines.length === 0) lines.push('no hosts match');
        if (answer.next !== null) lines.push(`more: --cursor ${answer.next}`);
        ctx.stdout(`${lines.join('\n')}\n`);
      }),
    );
