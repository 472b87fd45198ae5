import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadCommands } from '../../src/cli/command-loader.js';
import { commands } from '../../src/cli/commands/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../support/run-cli.js';

// Item 7 of issue 13: each command's --help lists its own flags, and docs/cli.md lists every flag of
// every command, so the two cannot drift.

const ctx: CliContext = { stdout: () => {}, stderr: () => {}, env: {}, cwd: '/' };

/** Every runnable command (a group's subcommands, and a group that runs too) with its long flags. */
async function commandFlags(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const walk = (command: Command, path: string): void => {
    const flags = command.options
      .filter((o) => !o.hidden)
      .map((o) => o.long!)
      .filter((f) => f !== '--help');
    if (command.commands.length === 0 || flags.length > 0) out.set(path, flags.sort());
    for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`);
  };
  for (const make of await loadCommands(commands, [])) {
    const command = make(ctx, () => {});
    walk(command, `klpm ${command.name()}`);
  }
  return out;
}

/** docs/cli.md's "Flags" section: `- \`klpm CMD\`: \`--a X\`, \`--b\`` per command. */
function documentedFlags(): Map<string, string[]> {
  const text = readFileSync(join(import.meta.dirname, '../../docs/cli.md'), 'utf8');
  const section = text.slice(
    text.indexOf('\n## Flags'),
    text.indexOf('\n## ', text.indexOf('\n## Flags') + 1),
  );
  const out = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^- `(klpm [a-z -]+?)`(.*)$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, [...m[2]!.matchAll(/`(--[a-z-]+)/g)].map((f) => f[1]!).sort());
  }
  return out;
}

describe('per-command help and docs/cli.md', () => {
  it('docs/cli.md lists every flag of every command, and no flag a command lacks', async () => {
    expect(Object.fromEntries(documentedFlags())).toEqual(Object.fromEntries(await commandFlags()));
  });

  it('a kmp command that changes no links does not offer --no-depmod', async () => {
    for (const command of ['status', 'resolve']) {
      const help = await runCli(['kmp', command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).not.toContain('--no-depmod');
    }
    expect((await runCli(['kmp', 'link', '--help'])).stdout).toContain('--no-depmod');
  });

  it('a command group lists its subcommands without flags of its own', async () => {
    const help = await runCli(['kmp', '--help']);
    expect(help.stdout).toContain('check [options] <module...>');
    expect(help.stdout).not.toContain('--root');
  });
});
