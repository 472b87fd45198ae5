import { join } from 'node:path';
import { Command } from 'commander';
import { checkModuleFiles, listModuleFiles, readSymversFile } from '../../host/modules/index.js';
import { type CheckResult, crcHex } from '../../kabi/index.js';
import { type CliContext, type CommandFactory, ExitCode } from '../context.js';
import { shown } from '../shown.js';
import { UsageError } from '../usage-error.js';

interface CheckOptions {
  symvers: string;
  json?: boolean;
  cacheDir?: string;
  cache: boolean;
}

/** klpm kmp check --symvers FILE MODULE|DIR...: what `depmod -e -E FILE` says about those modules. */
export const kmpCheckCommand: CommandFactory = (ctx, setExit) =>
  new Command('check')
    .description("check module files against a kernel's symvers, as depmod -e -E would")
    .argument('<module...>', 'module files (.ko, .ko.gz, .ko.xz, .ko.zst) or directories searched for them')
    .requiredOption('--symvers <file>', 'Module.symvers or symvers-<ver>.gz of the kernel')
    .option('--json', 'print each module with its problems as JSON')
    .option('--cache-dir <dir>', 'keep read module metadata here (default $KLPM_CACHE/modules)')
    .option('--no-cache', 'read every module file again')
    .action(async (paths: string[], opts: CheckOptions) => {
      const symvers = await readSymversFile(opts.symvers);
      const files = await listModuleFiles(paths);
      if (files.length === 0)
        throw new UsageError(`no module files (.ko, .ko.gz, .ko.xz, .ko.zst) in ${paths.join(' ')}`);
      const cacheDir = opts.cache ? (opts.cacheDir ?? defaultCacheDir(ctx)) : undefined;
      const result = await checkModuleFiles(files, symvers, cacheDir, (text) =>
        ctx.stderr(`klpm: warning: ${text}\n`),
      );
      ctx.stdout(
        opts.json
          ? `${JSON.stringify(toJson(result, opts.symvers), null, 2)}\n`
          : renderText(result, opts.symvers),
      );
      if (result.problemCount > 0) setExit(ExitCode.findings);
    });

function defaultCacheDir(ctx: CliContext): string | undefined {
  const base =
    ctx.env.KLPM_CACHE ?? (ctx.env.HOME === undefined ? undefined : join(ctx.env.HOME, '.cache', 'klpm'));
  return base === undefined ? undefined : join(base, 'modules');
}

const hex = (crc: number | undefined) => (crc === undefined ? undefined : crcHex(crc));

function toJson(result: CheckResult, symvers: string) {
  return {
    symvers,
    modules: result.modules.map((module) => ({
      path: module.path,
      name: module.name,
      ok: module.problems.length === 0,
      problems: module.problems.map((problem) => ({
        symbol: problem.symbol,
        kind: problem.kind,
        wanted: hex(problem.wanted),
        ...(problem.found === undefined ? {} : { found: hex(problem.found) }),
      })),
    })),
    summary: summary(result),
  };
}

function summary(result: CheckResult) {
  const problems = result.modules.flatMap((module) => module.problems);
  return {
    modules: result.modules.length,
    modulesWithProblems: result.modules.filter((module) => module.problems.length > 0).length,
    unknownSymbols: problems.filter((problem) => problem.kind === 'unknown').length,
    crcMismatches: problems.filter((problem) => problem.kind === 'crc').length,
  };
}

/** depmod's own wording (depmod_load_module_dependencies in tools/depmod.c), one line per problem. */
function renderText(result: CheckResult, symvers: string): string {
  const lines: string[] = [];
  for (const module of result.modules)
    for (const problem of module.problems)
      lines.push(
        problem.kind === 'unknown'
          ? `${shown(module.path)} needs unknown symbol ${shown(problem.symbol)}`
          : `${shown(module.path)} disagrees about version of symbol ${shown(problem.symbol)}`,
      );
  const s = summary(result);
  lines.push(
    `${s.modules} module${s.modules === 1 ? '' : 's'} checked against ${shown(symvers)}: ` +
      (s.modulesWithProblems === 0
        ? 'all compatible'
        : `${s.modulesWithProblems} incompatible (${s.unknownSymbols} unknown symbols, ${s.crcMismatches} CRC mismatches)`),
  );
  return `${lines.join('\n')}\n`;
}
