import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { installKernelHooks } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';

/** The packaging/kmp directory of this klpm: next to bin/, where bin/klpm.js runs from. */
function packagingDir(): string {
  const script = process.argv[1];
  return join(dirname(realpathSync(script ?? '.')), '..', 'packaging', 'kmp');
}

/** klpm kmp install-hooks: puts the kernel hooks in place (docs/kmp-packages.md). */
export const kmpInstallHooksCommand: CommandFactory = (ctx) =>
  new Command('install-hooks')
    .description(
      "install klpm's kernel hooks: /etc/kernel/postinst.d and postrm.d (Debian) and /usr/lib/kernel/install.d (kernel-install)",
    )
    .option('--root <dir>', 'the system root everything lives under', '/')
    .option('--from <dir>', "the hooks to install (default: klpm's own packaging/kmp)")
    .option('--json', 'print what was installed as JSON')
    .action(async (flags: { root: string; from?: string; json?: boolean }) => {
      const installed = await installKernelHooks(flags.root, flags.from ?? packagingDir());
      if (flags.json) ctx.stdout(`${JSON.stringify({ installed }, null, 2)}\n`);
      else
        ctx.stdout(
          installed.map((h) => `${h.changed ? 'installed' : 'up to date'} ${h.path}`).join('\n') + '\n',
        );
    });
