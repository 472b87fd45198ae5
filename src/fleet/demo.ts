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
