import { createHash } from 'node:crypto';
import { rpmvercmp } from '../version/index.js';
import { REPORT_SCHEMA_VERSION } from './report.js';
import type { RolloutSpec } from './rollout/index.js';

/** One host of the demo fleet: who it is, its labels, and the report its agent would send. */
export interface DemoHost {
  readonly machineId: string;
  readonly hostname: string;
  readonly site: string;
  readonly report: Record<string, unknown>;
}

const SITES = ['ams1', 'fra1', 'iad2'];

/**
 * A synthetic fleet for `klpm serve --demo`: `count` hosts spread over `builds` (the kernel builds a
 * repository publishes for, plus one it never built for, so every status shows), each with the
 * report an agent on a host with no livepatch loaded sends. Deterministic: host i is always the
 * same host.
 */
export function demoFleet(builds: ReadonlyArray<string>, count: number): DemoHost[] {
  const all = [...builds, 'ffeeddccbbaa99887766554433221100ffeeddcc'];
  return Array.from({ length: count }, (_, i) => {
    const buildId = all[i % all.length]!;
    const site = SITES[i % SITES.length]!;
    const machineId = (i + 1).toString(16).padStart(32, '0');
    return {
      machineId,
      hostname: `${site}-web-${String(i + 1).padStart(4, '0')}`,
      site,
      report: {
        schemaVersion: REPORT_SCHEMA_VERSION,
        machineId,
        bootId: `demo-boot-${i + 1}`,
        buildId,
        seq: 1,
        agentVersion: 'demo',
        interval: 600,
        status: {
          release: '4.19.19-8.0.21',
          kind: 'replace-bool',
          attributes: ['replace'],
          patches: [],
          modules: [],
          buildId,
          livepatchable: { ok: true, reason: 'livepatches can be applied' },
          blocking: [],
          reboot: false,
          problems: [],
        },
        kmp: null,
      },
    };
  });
}

/**
 * The rollout a demo starts: the newest kernel livepatch of the replace set that covers the most
 * builds, in a canary wave (2% of the hosts, no failure allowed) and then everyone. Undefined when
 * the repository has no kernel livepatch.
 */
export function demoRolloutSpec(
  livepatches: ReadonlyArray<{ component: string; replaceSet: number; to: string; baseBuildId: string }>,
): RolloutSpec | undefined {
  const kernel = livepatches.filter((l) => l.component === 'kernel');
  const sets = [...new Set(kernel.map((l) => l.replaceSet))];
  const bases = (set: number) =>
    new Set(kernel.filter((l) => l.replaceSet === set).map((l) => l.baseBuildId)).size;
  const set = sets.sort((a, b) => bases(b) - bases(a) || a - b)[0];
  if (set === undefined) return undefined;
  const to = kernel
    .filter((l) => l.replaceSet === set)
    .map((l) => l.to)
    .sort((a, b) => rpmvercmp(b, a))[0]!;
  return {
    component: 'kernel',
    replaceSet: set,
    to,
    waves: [
      { name: 'canary', select: { percent: 2 }, failureBudget: 0, soak: '10m', deadline: '1h' },
      { name: 'everyone', select: { percent: 100 }, failureBudget: '5%', soak: '30m', deadline: '1d' },
    ],
  };
}

/** A synthetic fleet's options: how many hosts and builds, which are past their coverage, and the day it is. */
export interface SyntheticFleetOptions {
  readonly hosts: number;
  readonly builds: number;
  /** how many of the oldest builds the newest update no longer covers (end of life) */
  readonly eolBuilds: number;
  /** ms since the epoch: coverage end dates fall in the 26 weeks after it */
  readonly now: number;
}

export interface SyntheticHost {
  readonly machineId: string;
  readonly hostname: string;
  readonly labels: ReadonlyArray<string>;
  readonly buildId: string;
  readonly release: string;
  /** silent: its last report is hours old */
  readonly silent: boolean;
  /** stuck: its report shows a transition that does not complete and the task blocking it */
  readonly stuck: boolean;
  readonly report: Record<string, unknown>;
}

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The build ID of synthetic build `b` (40 hex digits). */
export const syntheticBuildId = (b: number) => (0xb0000 + b).toString(16).padStart(8, '0').repeat(5);

/**
 * A fleet for the dashboard's browser tests, benchmark and demo: a repository (klpm's JSON index)
 * where update k brings every build it covers to `6.12.200-k`, the newest update skipping the
 * `eolBuilds` oldest builds (so they are end of life) and ending the coverage of the others on dates
 * spread over the next 26 weeks; and hosts spread over the builds, one in 50 silent, one in 97
 * stuck. Deterministic: host i is always the same host.
 */
export function syntheticFleet(options: SyntheticFleetOptions): {
  repository: Record<string, unknown>;
  hosts: SyntheticHost[];
} {
  const { builds, eolBuilds, now } = options;
  const release = (b: number) => `6.12.${100 + b}-1`;
  const updates = [];
  const UPDATES = 6;
  for (let k = 1; k <= UPDATES; k++) {
    const newest = k === UPDATES;
    const livepatches = [];
    for (let b = newest ? eolBuilds : 0; b < builds; b++)
      livepatches.push({
        component: 'kernel',
        baseBuildId: syntheticBuildId(b),
        base: release(b),
        to: `6.12.200-${k}`,
        replaceSet: 0,
        name: `klp_6_12_${100 + b}_${k}`,
        // a file the repository would list (the tests serve none: a plan shows it, an agent fetches nothing)
        sha256: createHash('sha256')
          .update(`klp_6_12_${100 + b}_${k}`)
          .digest('hex'),
        // the newest livepatch of three builds in four says when its coverage ends: within 26 weeks
        ...(newest && b % 4 !== 3 ? { expires: day(now + (3 + ((b * 11) % 178)) * DAY_MS) } : {}),
      });
    updates.push({
      id: `KLP-2026-${String(k).padStart(3, '0')}`,
      issued: day(now - (UPDATES - k + 1) * 14 * DAY_MS),
      livepatches,
    });
  }
  const sites = ['ams1', 'fra1', 'iad2', 'sfo3'];
  const roles = ['web', 'db', 'cache', 'batch'];
  const hosts = Array.from({ length: options.hosts }, (_, i): SyntheticHost => {
    // more hosts on the newer builds: a build's share grows with its number
    const b = Math.floor(Math.sqrt(((i * 7919) % options.hosts) / options.hosts) * builds) % builds;
    const site = sites[i % sites.length]!;
    const role = roles[Math.floor(i / 4) % roles.length]!;
    const machineId = (0x5000 + i).toString(16).padStart(32, '0');
    const buildId = syntheticBuildId(b);
    const stuck = i % 97 === 5;
    return {
      machineId,
      hostname: `${site}-${role}-${String(i + 1).padStart(5, '0')}`,
      labels: [`site:${site}`, `role:${role}`],
      buildId,
      release: release(b),
      silent: i % 50 === 7,
      stuck,
      report: {
        schemaVersion: REPORT_SCHEMA_VERSION,
        machineId,
        bootId: `synthetic-boot-${i}`,
        buildId,
        seq: 1,
        agentVersion: 'synthetic',
        interval: 600,
        status: {
          release: release(b),
          kind: 'replace-bool',
          attributes: ['replace'],
          patches: stuck
            ? [
                {
                  name: `klp_6_12_${100 + b}_1`,
                  enabled: true,
                  transition: true,
                  replace: true,
                  version: '6.12.200-1',
                  objects: [{ name: 'vmlinux', patched: false, funcs: [{ name: 'tcp_sendmsg', sympos: 0 }] }],
                },
              ]
            : [],
          modules: [],
          buildId,
          livepatchable: { ok: true, reason: 'livepatches can be applied' },
          blocking: stuck
            ? [{ pid: 4000 + i, comm: 'kworker/u8:2', stack: '[<0>] tcp_sendmsg+0x2c/0x60' }]
            : [],
          reboot: false,
          problems: [],
        },
        kmp: null,
      },
    };
  });
  return { repository: { format: 'klpm-repository-index', version: 1, updates }, hosts };
}
