import { main } from '../../src/cli/main.js';

/** Runs the real CLI in-process and captures its output, like corepack's _runCli. */
export async function runCli(
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
  uid?: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd: process.cwd(),
    uid,
  });
  return { code, stdout, stderr };
}

/** Whether text holds a control character other than the newline: what an escaped line must not. */
export function hasRawControl(text: string): boolean {
  return [...text].some((c) => c !== '\n' && (c.codePointAt(0)! < 0x20 || c.codePointAt(0) === 0x7f));
}
