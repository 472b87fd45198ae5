import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assessReport, type Report, reportSchema, syntheticFleet } from '../../src/fleet/index.js';
import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';

/** A host of the seeded fleet the tests look for. */
export interface SeededHost {
  readonly id: string;
  readonly hostname: string;
  readonly buildId: string;
  readonly token: string;
}

export interface DashboardFleet {
  readonly url: string;
  readonly store: FleetStore;
  /** the SQLite file and the repository, for a second server on the same database */
  readonly dbFile: string;
  readonly repoPath: string;
  readonly adminToken: string;
  readonly viewerToken: string;
  /** a host whose build the newest update no longer covers */
  readonly eol: SeededHost;
  /** a stuck host with a reversed apply whose real log differs from the prediction */
  readonly stuck: SeededHost;
  /** a host whose KMP report has a boot-critical gap */
  readonly kmp: SeededHost;
  /** the hosts labelled `ring:canary` (the rollout test's first wave) */
  readonly canaries: ReadonlyArray<SeededHost>;
  /** the version the newest update brings every covered build to */
  readonly newest: string;
  readonly close: () => Promise<void>;
}

/**
 * A real fleet server on 127.0.0.1 over a SQLite file, seeded through the store with a synthetic
 * fleet (src/fleet syntheticFleet): `hosts` hosts over 30 builds, 4 of them end of life, some
 * silent, some stuck, three labelled as canaries, one with a KMP gap.
 */
export async function startDashboardFleet(hosts = 3000): Promise<DashboardFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-dashboard-'));
  const now = Date.now();
  const fleet = syntheticFleet({ hosts, builds: 30, eolBuilds: 4, now });
  const repoPath = join(dir, 'index.json');
  const repoText = JSON.stringify(fleet.repository);
  writeFileSync(repoPath, repoText);
  const index = indexRepository(parseRepositoryIndex(repoText, repoPath));
  const dbFile = join(dir, 'fleet.db');
  const store = openSqliteStore(dbFile);
  const secrets = new Map<string, string>();
  const assessed = new Map<string, ReturnType<typeof assessReport>>();
  const time = { now, expiryWindowDays: 30 };
  let eol: SeededHost | undefined;
  let stuck: SeededHost | undefined;
  let kmp: SeededHost | undefined;
  const canaries: SeededHost[] = [];
  const saves: Array<Promise<unknown>> = [];
  for (const [i, host] of fleet.hosts.entries()) {
    const labels = i % 400 === 1 ? [...host.labels, 'ring:canary'] : host.labels;
    const key = labels.join(' ');
    let secret = secrets.get(key);
    if (secret === undefined) {
      secret = await store.createEnrollSecret({ labels });
      secrets.set(key, secret);
    }
    const enrolled = await store.enroll({ secret, machineId: host.machineId, hostname: host.hostname, now });
    if (enrolled.kind !== 'enrolled') throw new Error(`${host.hostname} was not enrolled`);
    const report: Report = reportSchema.parse(i === 11 ? { ...host.report, kmp: KMP_WITH_GAP } : host.report);
    const shared = `${host.buildId} ${host.stuck}`;
    let answer = assessed.get(shared);
    if (answer === undefined) {
      answer = assessReport(report, index, time);
      assessed.set(shared, answer);
    }
    saves.push(
      store.saveReport(enrolled.id, {
        report,
        ...answer,
        receivedAt: host.silent ? now - 3 * 3_600_000 : now - (i % 300) * 1000,
      }),
    );
    const seeded = { id: enrolled.id, hostname: host.hostname, buildId: host.buildId, token: enrolled.token };
    if (eol === undefined && answer.evaluation.status === 'kernel-end-of-life') eol = seeded;
    if (stuck === undefined && host.stuck) stuck = seeded;
    if (labels.includes('ring:canary')) canaries.push(seeded);
    if (i === 11) kmp = seeded;
  }
  await Promise.all(saves);
  if (eol === undefined || stuck === undefined || kmp === undefined)
    throw new Error('the synthetic fleet has no end-of-life or stuck host');
  await store.saveEvent(stuck.id, {
    at: now - 60_000,
    kind: 'apply',
    detail: {
      planHash: 'e'.repeat(64),
      outcome: 'reversed',
      step: { index: 0, op: 'load', patch: 'klp_6_12_1' },
      reason: 'the transition did not complete in 60 s: it was reversed',
      blocking: [{ pid: 4005, comm: 'kworker/u8:2' }],
      log: [
        "livepatch: enabling patch 'klp_6_12_1'",
        "livepatch: 'klp_6_12_1': starting patching transition",
        "livepatch: 'klp_6_12_1': reversing transition from patching to unpatching",
      ],
      predictedLog: [
        "livepatch: enabling patch 'klp_6_12_1'",
        "livepatch: 'klp_6_12_1': starting patching transition",
        "livepatch: 'klp_6_12_1': patching complete",
      ],
    },
  });
  const server: RunningServer = await startFleetServer({
    store,
    repoPath,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    repoPollMs: 0,
    enrollRate: 'off',
    reportRate: 'off',
  });
  return {
    url: server.url,
    store,
    dbFile,
    repoPath,
    adminToken: await store.createToken('admin'),
    viewerToken: await store.createToken('viewer'),
    eol,
    stuck,
    kmp,
    canaries,
    newest: '6.12.200-6',
    close: async () => {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `klpm kmp status --json` of a host whose second kernel lost a boot-critical module build. */
const KMP_WITH_GAP = {
  kernels: [
    {
      kernel: '6.12.129-1-amd64',
      chosen: [
        { package: 'nvidia-open', version: '570.1', builtFor: '6.12.129-1-amd64', own: true },
        { package: 'zfs', version: '2.3.1', builtFor: '6.12.129-1-amd64', own: true },
      ],
      gaps: [],
      lost: [],
    },
    {
      kernel: '6.12.130-1-amd64',
      chosen: [{ package: 'nvidia-open', version: '570.1', builtFor: '6.12.129-1-amd64', own: false }],
      gaps: [{ kernel: '6.12.130-1-amd64', package: 'zfs' }],
      lost: [],
    },
  ],
};
