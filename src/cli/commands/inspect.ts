import { Command, Option } from 'commander';
import { readLivepatchModuleFile } from '../../host/livepatch/index.js';
import type { LivepatchModule } from '../../livepatch-module/index.js';
import type { CommandFactory } from '../context.js';

interface InspectOptions {
  json?: boolean;
  layout?: 'replace-set';
}

/** klpm inspect FILE.ko: the patch a livepatch module hands the kernel, read from the file (docs/inspect.md). */
export const inspectCommand: CommandFactory = (ctx) =>
  new Command('inspect')
    .description('show the patch a livepatch module describes: objects, funcs, callbacks, states, replace')
    .argument('<file>', 'livepatch module (.ko, .ko.gz, .ko.xz, .ko.zst)')
    .option('--json', 'print {manifest, modinfo, klpSyms, ...} as JSON')
    .addOption(
      new Option(
        '--layout <layout>',
        'read struct klp_patch with this layout instead of the vermagic one',
      ).choices(['replace-set']),
    )
    .action(async (file: string, opts: InspectOptions) => {
      const module = await readLivepatchModuleFile(
        file,
        opts.layout === undefined ? {} : { layout: opts.layout },
      );
      ctx.stdout(opts.json ? `${JSON.stringify(module, null, 2)}\n` : renderText(file, module));
    });

/** Lines kept for the objects so the text fits one screen; --json has everything. */
const MAX_LINES = 16;

function renderText(file: string, m: LivepatchModule): string {
  const { manifest } = m;
  const states = manifest.states.map((s) => `${s.id}@${s.version}`).join(' ') || 'none';
  const lines = [
    `${file}: livepatch '${manifest.name}'${manifest.version === undefined ? '' : ` version ${manifest.version}`}`,
    `  replace: ${manifest.replace ? 'yes' : 'no'}${m.layout === 'replace-set' ? `  replace set: ${manifest.replaceSet}` : ''}  states (id@version): ${states}`,
    `  built by: ${m.builder} (layout ${m.layout}), ${m.machine}, vermagic ${(m.modinfo.vermagic ?? '(none)').trim()}${m.signed ? ', signed' : ''}`,
  ];
  const objects: string[] = [];
  for (const obj of manifest.objects) {
    const callbacks = obj.callbacks.length === 0 ? '' : `  callbacks: ${obj.callbacks.join(' ')}`;
    objects.push(
      `    ${obj.name} (${obj.funcs.length} func${obj.funcs.length === 1 ? '' : 's'})${callbacks}`,
    );
    for (const f of obj.funcs) objects.push(`      ${f.name}${f.sympos === 0 ? '' : `,${f.sympos}`}`);
  }
  lines.push(`  objects: ${manifest.objects.length}`);
  lines.push(...objects.slice(0, MAX_LINES));
  if (objects.length > MAX_LINES)
    lines.push(`    … ${objects.length - MAX_LINES} more lines (--json shows all)`);
  const perObject = new Map<string, number>();
  for (const s of m.klpSyms) perObject.set(s.object, (perObject.get(s.object) ?? 0) + 1);
  lines.push(
    `  .klp.sym symbols: ${m.klpSyms.length}${perObject.size === 0 ? '' : ` (${[...perObject].map(([o, n]) => `${o}: ${n}`).join(', ')})`}`,
  );
  for (const note of m.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}
