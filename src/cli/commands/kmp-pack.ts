import { Command, Option } from 'commander';
import { kmpPack } from '../../host/kmp/index.js';
import type { CommandFactory } from '../context.js';

interface PackFlags {
  readonly format: 'deb' | 'rpm';
  readonly out: string;
  readonly coinstallable?: boolean;
  readonly meta?: boolean;
  readonly arch?: string;
  readonly maintainer: string;
  readonly json?: boolean;
}

/** klpm kmp pack BUILD-DIR...: "KMP X for kernel Y" packages (docs/kmp-packages.md). */
export const kmpPackCommand: CommandFactory = (ctx) =>
  new Command('pack')
    .description(
      'build a deb or rpm package per KMP build, named <package>-kmp-<kernel>, whose scripts call klpm',
    )
    .argument(
      '<build-dir...>',
      'directories holding kmp.json and the module files, as klpm kmp add reads them',
    )
    .addOption(
      new Option('--format <format>', 'the package format').choices(['deb', 'rpm']).makeOptionMandatory(),
    )
    .option('--out <dir>', 'where the packages are written', '.')
    .option(
      '--coinstallable',
      'deb: put the upstream version into the name, so two versions for one kernel install together',
    )
    .option('--meta', 'also build the <package>-kmp meta-package depending on the per-kernel packages')
    .option('--arch <arch>', 'package architecture (default: dpkg --print-architecture, rpm --eval %{_arch})')
    .option('--maintainer <who>', 'deb Maintainer field', 'klpm kmp pack <kmp-pack@klpm.invalid>')
    .option('--json', 'print the packages written as JSON')
    .action(async (dirs: string[], flags: PackFlags) => {
      const packed = await kmpPack(dirs, {
        format: flags.format,
        out: flags.out,
        coinstallable: flags.coinstallable === true,
        meta: flags.meta === true,
        arch: flags.arch,
        maintainer: flags.maintainer,
      });
      if (flags.json) ctx.stdout(`${JSON.stringify({ packages: packed }, null, 2)}\n`);
      else
        ctx.stdout(
          packed
            .map(
              (p) =>
                `${p.kind === 'meta' ? 'meta-package' : 'package'} ${p.name} ${p.release ? `${p.version}-${p.release}` : p.version}: ${p.file}`,
            )
            .join('\n') + '\n',
        );
    });
