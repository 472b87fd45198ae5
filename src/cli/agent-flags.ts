import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AgentOptions, CheckIn } from '../agent/index.js';
import { parseDuration } from '../fleet/index.js';
import { UsageError } from './usage-error.js';

/** The flags `klpm agent once` and `klpm agent run` share. */
export interface AgentFlags {
  server?: string;
  enrollSecret?: string;
  ca?: string;
  root: string;
  apply: string;
  interval: string;
  json?: boolean;
}

export function withAgentFlags(command: Command): Command {
  return command
    .option('--server <url>', 'the fleet server, such as http://fleet.example:7470 (required)')
    .option('--enroll-secret <file>', 'a file holding the enrollment secret (required to enroll)')
    .option('--ca <file>', "trust only this CA (PEM) for an https:// server's certificate")
    .option('--root <dir>', 'read the machine under this directory', '/')
    .option(
      '--apply <when>',
      'never: report and print the plan; auto: carry the plan out when this host plans the same',
      'never',
    )
    .option(
      '--interval <duration>',
      'the check-in interval the server judges silence by (30s, 10m, 2h, 1d)',
      '10m',
    );
}

/** The agent's options from the flags, or a UsageError naming the bad one. */
export function agentOptions(flags: AgentFlags, command: string): AgentOptions {
  if (flags.server === undefined) throw new UsageError(`klpm agent ${command} needs --server URL`);
  if (flags.enrollSecret === undefined)
    throw new UsageError(
      `klpm agent ${command} needs --enroll-secret FILE (read only until the host is enrolled)`,
    );
  if (flags.apply !== 'never' && flags.apply !== 'auto')
    throw new UsageError(`--apply ${flags.apply}: expected never or auto`);
  const intervalMs = parseDuration(flags.interval);
  if (intervalMs === undefined || intervalMs < 1000)
    throw new UsageError(`--interval '${flags.interval}' is not a duration such as 30s, 10m, 2h or 1d`);
  return {
    server: flags.server,
    enrollSecretFile: flags.enrollSecret,
    ...(flags.ca === undefined ? {} : { ca: readCa(flags.ca) }),
    root: flags.root,
    interval: intervalMs / 1000,
    apply: flags.apply,
  };
}

/** The --ca file: PEM certificates, read once here. */
function readCa(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca ${path}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--ca ${path}: not a PEM certificate (no -----BEGIN CERTIFICATE----- line)`);
  return text;
}

/** A check-in as text: the host, the plan per replace set, and what `--apply auto` did. */
export function renderCheckIn(result: CheckIn): string {
  const out = [
    `host ${result.hostId}${result.enrolled ? ' (enrolled now)' : ''}: report ${result.seq} stored`,
  ];
  if (result.delivered > 0) out.push(`delivered ${result.delivered} spooled event(s)`);
  out.push(`plan ${result.plan.planHash}${result.plan.reason === '' ? '' : `: ${result.plan.reason}`}`);
  for (const set of result.plan.sets) {
    out.push(
      `  replace set ${set.replaceSet}: ${set.kind}${set.to === null ? '' : ` to ${set.to}`}${set.reason === '' ? '' : `: ${set.reason}`}`,
    );
    for (const step of set.steps)
      out.push(`    ${step.op} ${step.patch}${step.op === 'load' && step.version ? ` ${step.version}` : ''}`);
  }
  if (result.plan.steps.length === 0) out.push('  nothing to do');
  if (result.applied !== null)
    out.push(
      `applied: ${result.applied.outcome}${result.applied.reason === '' ? '' : `: ${result.applied.reason}`}`,
    );
  if (result.spooled > 0) out.push(`${result.spooled} event(s) spooled for the next check-in`);
  return `${out.join('\n')}\n`;
}
