import { Command, CommanderError } from 'commander';
import { InputError } from '../input/index.js';
import { loadCommands } from './command-loader.js';
import { commands } from './commands/index.js';
import { type CliContext, ExitCode, processContext } from './context.js';
import { UsageError } from './usage-error.js';

/**
 * Runs klpm with the given arguments and returns the exit code. Bad input (UsageError, InputError,
 * commander's own usage errors) prints one line and returns 2; anything else is a bug and keeps its
 * stack trace.
 */
export async function main(argv: ReadonlyArray<string>, ctx: CliContext = processContext()): Promise<number> {
  const program = new Command('klpm')
    .description('kernel live-update manager: livepatch stacks, applicability, kernel module packages')
    .version('0.1.0')
    .showHelpAfterError(false);
  let exitCode: number = ExitCode.ok;
  for (const make of await loadCommands(commands, argv)) {
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
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok; // --help, --version
      ctx.stderr(`klpm: ${error.message.replace(/^error: /, '')}\n`);
      return ExitCode.usage;
    }
    if (error instanceof InputError || error instanceof UsageError) {
      ctx.stderr(`klpm: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
}
