import type { Command } from 'commander';

/** What a command may touch besides its flags: output streams and the process environment. */
export interface CliContext {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** resolves once stdout has taken what was written (a long listing waits on a slow pipe) */
  readonly drained?: () => Promise<void>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** the user klpm runs as (changing livepatches needs root); undefined where the platform has none */
  readonly uid?: number | undefined;
}

/** bytes of output that may wait in stdout's queue before a long listing waits for its reader */
const QUEUED_OUTPUT = 4 << 20;

export function processContext(): CliContext {
  // Output closed early (`klpm status | head`): end quietly instead of dying on EPIPE.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      process.exit(error.code === 'EPIPE' ? ExitCode.ok : ExitCode.internal);
    });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    // a few MB may wait in the stream: waiting for every chunk would make klpm and its reader take
    // turns instead of running side by side
    drained: () =>
      process.stdout.writableLength > QUEUED_OUTPUT
        ? new Promise<void>((done) => process.stdout.once('drain', () => done()))
        : Promise.resolve(),
    env: process.env,
    cwd: process.cwd(),
    uid: process.getuid?.(),
  };
}

/** Exit codes shared by every command; docs/cli.md lists them. */
export const ExitCode = {
  ok: 0,
  /** the command ran and found a problem (refused step, incompatible module, plan refused) */
  findings: 1,
  /** bad input: flags, files, formats */
  usage: 2,
  /** apply/rollback/unload changed nothing: the plan was refused, or a file failed verification */
  refused: 3,
  /** no livepatch applies to the running build (end of life, or unknown to the repository): reboot */
  reboot: 4,
  /** another klpm holds the lock */
  busy: 5,
  /** a bug in klpm (EX_SOFTWARE of sysexits.h): one line on stderr, the stack with --debug */
  internal: 70,
} as const;

/** Builds one command; `setExit` records the exit code the command wants (default 0). */
export type CommandFactory = (ctx: CliContext, setExit: (code: number) => void) => Command;
