import { Command, CommanderError } from 'commander';
import { loadCommands } from './command-loader.js';
import { commands } from './commands/index.js';
import { type CliContext, ExitCode, processContext } from './context.js';
import { checkRootFlag } from './root-flag.js';
import { shown } from './shown.js';

/**
 * The one table from an error that reaches the top to the exit code (docs/cli.md, "Exit codes").
 * Errors the user can act on print their message alone, on one line. Matched by name, so that this
 * file, which every command loads, loads none of the modules that define them.
 */
const EXIT_FOR_ERROR: Readonly<Record<string, number>> = {
  /** bad input: a file, a line or a field, and what was expected */
  InputError: ExitCode.usage,
  /** a flag or argument the user can fix */
  UsageError: ExitCode.usage,
  /** another klpm holds the lock */
  LockBusyError: ExitCode.busy,
};

/**
 * Runs klpm with the given arguments and returns the exit code. An error the table above knows
 * prints one line; anything else is a bug: one line saying so and exit 70 (EX_SOFTWARE), with the
 * stack only under `--debug` (or KLPM_DEBUG=1), for the bug report. Never a stack trace otherwise.
 */
export async function main(argv: ReadonlyArray<string>, ctx: CliContext = processContext()): Promise<number> {
  const debug = argv.includes('--debug') || ctx.env.KLPM_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  try {
    return await run(args, ctx);
  } catch (error) {
    const code = error instanceof Error ? EXIT_FOR_ERROR[error.name] : undefined;
    if (code !== undefined && error instanceof Error) {
      ctx.stderr(`klpm: ${oneLine(error.message)}\n`);
      return code;
    }
    // the command's name: one word, two for a group (`kmp check`), never a file argument
    const [first, second] = args;
    const command =
      first === undefined || first.startsWith('-')
        ? '(none)'
        : second !== undefined && /^[a-z][a-z-]*$/.test(second)
          ? `${first} ${second}`
          : first;
    ctx.stderr(
      `klpm: internal error in 'klpm ${command}': ${oneLine(error instanceof Error ? error.message : String(error))}; this is a bug: please report it with the output of the same command with --debug\n`,
    );
    if (debug && error instanceof Error && error.stack) ctx.stderr(`${error.stack}\n`);
    return ExitCode.internal;
  }
}

async function run(args: ReadonlyArray<string>, ctx: CliContext): Promise<number> {
  const program = new Command('klpm')
    .description('kernel live-update manager: livepatch stacks, applicability, kernel module packages')
    .version('0.1.0')
    .option('--debug', 'on an internal error, print its stack (also KLPM_DEBUG=1)')
    .showHelpAfterError(false);
  let exitCode: number = ExitCode.ok;
  for (const make of await loadCommands(commands, args)) {
    program.addCommand(
      make(ctx, (code) => {
        exitCode = code;
      }),
    );
  }
  // addCommand does not pass settings down: every command, nested ones too, throws instead of exiting.
  const configure = (command: Command): void => {
    command
      .exitOverride()
      .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr, outputError: () => {} });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  // one check for every command with --root, before its action reads anything under it
  program.hook('preAction', (_program, action) => {
    const { root } = action.opts() as { root?: unknown };
    if (typeof root === 'string') checkRootFlag(root);
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return ExitCode.ok; // --help, --version
    ctx.stderr(`klpm: ${error.message.replace(/^error: /, '')}\n`);
    return ExitCode.usage;
  }
}

/**
 * A message on one line: a multi-line message would read as several errors. A name in it may
 * carry an ESC or another control character of its own: it is shown escaped.
 */
function oneLine(text: string): string {
  return shown(text.replace(/\s*\n\s*/g, '; '));
}
