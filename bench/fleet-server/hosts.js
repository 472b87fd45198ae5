// The simulated fleet of bench/fleet-server.bench.js: host i is `bench-<i>`, its token is derived from
// i (so the load process needs no list of 100,000 tokens), and it runs one of BUILDS kernel builds.
import { createHash } from 'node:crypto';

export const BUILDS = 40;

export const hostId = (i) => `bench-${String(i).padStart(7, '0')}`;
const secretOf = (i) => createHash('sha256').update(`bench-secret-${i}`).digest('base64url');
/** the host's bearer token: `<id>.<secret>`, as src/store/credentials.ts makes them */
export const hostToken = (i) => `${hostId(i)}.${secretOf(i)}`;
/** what the store keeps of the token: the sha256 of its secret */
export const tokenHash = (i) => createHash('sha256').update(secretOf(i), 'utf8').digest();
export const buildOf = (i) => (0xb000 + (i % BUILDS)).toString(16).padStart(8, '0').repeat(5);
export const machineIdOf = (i) => createHash('md5').update(`machine-${i}`).digest('hex');

/** A report as `klpm agent` sends it: the envelope around the `klpm status --json` document `status`. */
export function reportOf(i, seq, status) {
  return {
    schemaVersion: 1,
    machineId: machineIdOf(i),
    bootId: `6d3c1a52-7a47-4c1e-9d0f-${String(i).padStart(12, '0')}`,
    buildId: buildOf(i),
    seq,
    agentVersion: '0.1.0',
    interval: 600,
    status: { ...status, buildId: buildOf(i) },
    kmp: null,
  };
}

/**
 * A repository (klpm's JSON index) with a livepatch stream for every build: `updates` updates in
 * replace set 0; the last build has nothing, so its hosts are unsupported.
 */
export function repositoryJson(updates) {
  const list = [];
  for (let u = 1; u <= updates; u++)
    list.push({
      id: `U-${u}`,
      issued: `2026-${String(1 + (u % 12)).padStart(2, '0')}-01`,
      livepatches: Array.from({ length: BUILDS - 1 }, (_, b) => {
        const base = (0xb000 + b).toString(16).padStart(8, '0').repeat(5);
        const name = 'klpm_e2e_v2';
        const to = `6.12.117-1.${u}`;
        return {
          component: 'kernel',
          baseBuildId: base,
          base: '6.12.117-1',
          to,
          replaceSet: 0,
          name,
          manifest: {
            name,
            replaceSet: 0,
            version: to,
            objects: [{ name: 'vmlinux', funcs: [{ name: 'cmdline_proc_show' }] }],
          },
        };
      }),
    });
  return JSON.stringify({ format: 'klpm-repository-index', version: 1, updates: list });
}
