import { Command } from 'commander';
import { type KmpOutcome, kmpLink } from '../../host/kmp/index.js';
import { cap, capped, moreLine } from '../cap.js';
import { type CommandFactory, ExitCode } from '../context.js';
import {
  type KmpFlags,
  kmpOptions,
  notBootableLines,
  outcomeJson,
  problemLines,
  withKmpFlags,
} from '../kmp-output.js';

/** klpm kmp status: kernels x KMPs, which build serves which kernel, and the gaps. */
export const kmpStatusCommand: CommandFactory = (ctx, setExit) =>
  withKmpFlags(
    new Command('status').description('table of kernels and KMPs: the build serving each, and gaps'),
    { depmod: false },
  ).action(async (flags: KmpFlags) => {
    const outcome = await kmpLink(kmpOptions(ctx, flags, 'dry-run'));
    if (flags.json) ctx.stdout(`${JSON.stringify(outcomeJson(outcome), null, 2)}\n`);
    else ctx.stdout(renderTable(outcome, flags.all));
    if (outcome.resolution.kernels.some((k) => k.gaps.length > 0)) setExit(ExitCode.findings);
  });

export function renderTable(outcome: KmpOutcome, all?: boolean): string {
  const kernels = outcome.resolution.kernels;
  const rowsOf = cap(kernels, all);
  const columnsOf = cap(
    [
      ...new Set(
        kernels.flatMap((k) => [
          ...k.chosen.map((c) => c.package),
          ...k.gaps.map((g) => g.package),
          ...k.lost,
        ]),
      ),
    ].sort(),
    all,
  );
  const packages = columnsOf.shown;
  const rows = [['kernel', ...packages]];
  for (const k of rowsOf.shown)
    rows.push([
      k.kernel,
      ...packages.map((pkg) => {
        const chosen = k.chosen.find((c) => c.package === pkg);
        if (chosen)
          return chosen.own ? `${chosen.version} (own)` : `${chosen.version} (from ${chosen.builtFor})`;
        return k.gaps.some((g) => g.package === pkg) ? 'GAP' : '-';
      }),
    ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  if (rowsOf.hidden > 0) lines.push(moreLine(rowsOf.hidden, 'kernels'));
  if (columnsOf.hidden > 0) lines.push(moreLine(columnsOf.hidden, 'packages (columns)'));
  const pending = outcome.operations.length;
  lines.push(
    '',
    pending === 0 ? 'links: up to date' : `links: ${pending} change(s) pending, see klpm kmp resolve`,
  );
  const gaps = kernels.flatMap((k) => k.gaps);
  lines.push(
    ...capped(
      gaps.map((g) => `gap: ${g.kernel} has no compatible build of boot-critical ${g.package}`),
      all,
      'gaps',
    ),
    ...notBootableLines(outcome, all),
    ...problemLines(outcome, all),
  );
  return `${lines.join('\n')}\n`;
}
