import { Command } from 'commander';
import { type LivepatchStatus, readLivepatchStatus } from '../../host/status.js';
import type { CommandFactory } from '../context.js';

/** klpm status: what is loaded, what is in transition and who blocks it, an interrupted plan. */
export const statusCommand: CommandFactory = (ctx) =>
  new Command('status')
    .description('show the loaded livepatches, transitions and blocking tasks, and any interrupted plan')
    .option('--root <dir>', 'read the machine under this directory', '/')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { root: string; json?: boolean }) => {
      const status = await readLivepatchStatus(opts.root);
      if (opts.json) {
        ctx.stdout(
          `${JSON.stringify({ ...status, interrupted: status.interrupted && { ...status.interrupted, steps: Object.fromEntries(status.interrupted.steps) } }, null, 2)}\n`,
        );
      } else {
        ctx.stdout(renderStatus(status));
      }
    });

function renderStatus(status: LivepatchStatus): string {
  const out = [`kernel: ${status.release ?? 'unknown'}  livepatch: ${status.kind ?? 'no patch loaded'}`];
  if (status.patches.length === 0) out.push('patches: none');
  for (const p of status.patches) {
    const set =
      p.replaceSet !== undefined
        ? ` replace_set=${p.replaceSet}`
        : p.provides !== undefined
          ? ` provides=${p.provides} obsoletes=${p.obsoletes?.join(',') ?? ''}`
          : p.replace !== undefined
            ? ` replace=${p.replace ? 1 : 0}`
            : '';
    const state = p.transition ? (p.enabled ? 'patching' : 'unpatching') : p.enabled ? 'enabled' : 'disabled';
    out.push(`  ${p.name} ${p.version ?? '(no version)'}: ${state}${set}`);
    for (const o of p.objects)
      out.push(
        `    ${o.name}${o.patched ? '' : ' (not loaded)'}: ${o.funcs.map((f) => f.name).join(' ') || '-'}`,
      );
  }
  if (status.blocking.length > 0) {
    out.push('blocking the transition:');
    for (const t of status.blocking)
      out.push(`  ${t.comm} (pid ${t.pid})${t.stack ? `: ${t.stack.split('\n')[0]}` : ''}`);
  }
  if (status.interrupted) {
    out.push(
      `interrupted: plan ${status.interrupted.id} (${status.interrupted.kind}) started ${status.interrupted.startedAt} never finished; klpm apply resumes it`,
    );
  }
  return `${out.join('\n')}\n`;
}
