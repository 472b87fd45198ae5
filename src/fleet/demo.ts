import { REPORT_SCHEMA_VERSION } from './report.js';

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
