import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  evaluateReport,
  isSilent,
  parseDuration,
  parseHostQuery,
  planForHost,
  reportSchema,
  summarize,
  worstStatus,
} from '../../src/fleet/index.js';
import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';
import {
  BUILD,
  OLD_BUILD,
  reportBody,
  repositoryJson,
  SHA_A2,
  supportedRepositoryJson,
} from '../support/fleet-fixtures.js';

const index = (json: string) => indexRepository(parseRepositoryIndex(json, 'index.json'));
const TIME = { now: Date.parse('2026-11-22T00:00:00Z'), expiryWindowDays: 30 };
const status = (more: Parameters<typeof reportBody>[0] = {}) => reportSchema.parse(reportBody(more)).status;

describe('durations and silence', () => {
  it('reads 30s, 10m, 2h, 1d and nothing else', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    for (const bad of ['', '10', 'm', '1w', '-1m', '1.5h', ' 1m', '1m '])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('a host is silent after twice its interval without a report, not at exactly twice', () => {
    expect(isSilent(0, 600, 1_200_000)).toBe(false);
    expect(isSilent(0, 600, 1_200_001)).toBe(true);
    expect(isSilent(0, 600, 600_000)).toBe(false);
  });
});

describe('host status', () => {
  it('the worst replace set wins, in the order end of life, unsupported, unknown, upgrade required, supported', () => {
    expect(worstStatus(['supported', 'kernel-upgrade-required'])).toBe('kernel-upgrade-required');
    expect(worstStatus(['kernel-upgrade-required', 'unknown'])).toBe('unknown');
    expect(worstStatus(['unknown', 'unsupported', 'supported'])).toBe('unsupported');
    expect(worstStatus(['unsupported', 'kernel-end-of-life'])).toBe('kernel-end-of-life');
    expect(worstStatus(['supported'])).toBe('supported');
  });

  it('a build supported in set 0 and end of life in set 1 is end of life and must reboot', () => {
    const evaluation = evaluateReport(status(), BUILD, index(repositoryJson()), TIME);
    expect(evaluation.answers.map((a) => [a.replaceSet, a.answer.status])).toEqual([
      [0, 'supported'],
      [1, 'kernel-end-of-life'],
    ]);
    expect(evaluation).toMatchObject({ status: 'kernel-end-of-life', reboot: 'yes', expires: '2027-03-01' });
  });

  it('coverage ending inside the window makes the host kernel-upgrade-required', () => {
    const late = { now: Date.parse('2027-02-15T00:00:00Z'), expiryWindowDays: 30 };
    expect(evaluateReport(status(), BUILD, index(supportedRepositoryJson()), late).status).toBe(
      'kernel-upgrade-required',
    );
    expect(evaluateReport(status(), BUILD, index(supportedRepositoryJson()), TIME).status).toBe('supported');
  });

  it('a build the repository never published for is unsupported; no build ID is unknown', () => {
    expect(evaluateReport(status(), OLD_BUILD, index(supportedRepositoryJson()), TIME).status).toBe(
      'unsupported',
    );
    expect(evaluateReport(status(), null, index(repositoryJson()), TIME)).toMatchObject({
      status: 'unknown',
      reboot: 'no',
    });
  });

  it('the applied version counts: a host on the newest lp_a is supported with nothing to apply', () => {
    const patches = [
      {
        name: 'lp_a',
        enabled: true,
        transition: false,
        replace: true,
        version: '6.12.117-1.2',
        objects: [{ name: 'vmlinux', patched: true, funcs: [{ name: 'lp_a_fn', sympos: 1 }] }],
      },
    ];
    const evaluation = evaluateReport(status({ patches }), BUILD, index(supportedRepositoryJson()), TIME);
    expect(evaluation.answers[0]?.answer.apply).toBeNull();
    expect(evaluation.status).toBe('supported');
  });
});

describe('a host plan', () => {
  it('loads the newest lp_a, says set 1 needs a reboot, and hashes the steps and file sha256s', () => {
    const plan = planForHost(status(), BUILD, index(repositoryJson()), TIME);
    expect(plan.outcome).toBe('planned');
    expect(plan.steps).toEqual([{ op: 'load', patch: 'lp_a', version: '6.12.117-1.2', sha256: SHA_A2 }]);
    expect(plan.sets.map((s) => [s.replaceSet, s.kind, s.to, s.fetch])).toEqual([
      [0, 'first-load', '6.12.117-1.2', `/v1/files/${SHA_A2}`],
      [1, 'reboot', null, null],
    ]);
    const canonical = `{"files":["${SHA_A2}"],"steps":[{"op":"load","patch":"lp_a","sha256":"${SHA_A2}","version":"6.12.117-1.2"}]}`;
    expect(plan.planHash).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('an entry without a sha256 says nothing can be fetched', () => {
    const json = JSON.parse(supportedRepositoryJson());
    delete json.updates[1].livepatches[0].sha256;
    const plan = planForHost(status(), BUILD, index(JSON.stringify(json)), TIME);
    expect(plan.sets[0]).toMatchObject({ sha256: null, fetch: null });
    expect(plan.sets[0]?.reason).toContain('no sha256');
  });

  it('without a build ID nothing is planned, and the hash is of no steps', () => {
    const plan = planForHost(status({ buildId: null }), null, index(repositoryJson()), TIME);
    expect(plan).toMatchObject({ outcome: 'input', steps: [], sets: [] });
    expect(plan.planHash).toBe(createHash('sha256').update('{"files":[],"steps":[]}').digest('hex'));
  });
});

describe('the report schema', () => {
  it('names the path of the bad field', () => {
    const body = reportBody();
    (body.status as { patches: unknown[] }).patches = [{ name: 'x', enabled: 'yes' }];
    const parsed = reportSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['status', 'patches', 0, 'enabled']);
    expect(reportSchema.safeParse({ ...reportBody(), seq: -1 }).error?.issues[0]?.path).toEqual(['seq']);
    expect(reportSchema.safeParse({ ...reportBody(), schemaVersion: 2 }).success).toBe(false);
  });
});

describe('the summary', () => {
  it('counts hosts per status, reboot and build, the silent ones, and the earliest end of coverage', () => {
    const now = 10_000_000;
    const host = (
      buildId: string | null,
      s: string,
      reboot: string,
      expires: string | null,
      lastSeen = now,
    ) => ({ buildId, release: buildId && 'r', status: s, reboot, expires, lastSeen, interval: 600 }) as never;
    const summary = summarize(
      [
        host('b1', 'supported', 'no', '2027-03-01'),
        host('b1', 'kernel-upgrade-required', 'no', '2027-01-01'),
        host('b1', 'supported', 'yes-livepatch-covered', null, now - 1_300_000),
        host('b2', 'kernel-end-of-life', 'yes', null),
      ],
      now,
    );
    expect(summary).toEqual({
      hosts: 4,
      status: {
        supported: 2,
        'kernel-upgrade-required': 1,
        'kernel-end-of-life': 1,
        unsupported: 0,
        unknown: 0,
      },
      reboot: { no: 2, yes: 1, 'yes-livepatch-covered': 1 },
      silent: 1,
      builds: [
        { buildId: 'b1', release: 'r', hosts: 3, status: 'kernel-upgrade-required', expires: '2027-01-01' },
        { buildId: 'b2', release: 'r', hosts: 1, status: 'kernel-end-of-life', expires: null },
      ],
    });
  });
});

describe('the host list query', () => {
  const q = (text: string) => parseHostQuery(new URLSearchParams(text));
  it('reads every filter; labels repeat, the rest may not', () => {
    expect(q('status=supported&label=a:1&label=b:2&silent=true&checkinAge=2h&limit=5&buildId=ABCD')).toEqual({
      ok: true,
      filter: {
        status: 'supported',
        buildId: 'abcd',
        labels: ['a:1', 'b:2'],
        silent: true,
        checkinAgeMs: 7_200_000,
        limit: 5,
      },
    });
    expect(q('')).toEqual({ ok: true, filter: { labels: [], limit: 100 } });
    expect(q('status=a&status=b')).toMatchObject({ ok: false, path: 'status' });
  });

  it('names the bad parameter', () => {
    for (const [text, path] of [
      ['limit=1001', 'limit'],
      ['limit=0', 'limit'],
      ['limit=x', 'limit'],
      ['checkinAge=10', 'checkinAge'],
      ['label=nocolon', 'label.0'],
      ['status=fine', 'status'],
      ['silent=yes', 'silent'],
      ['colour=red', ''],
      ['cursor=%00', 'cursor'],
    ])
      expect(q(text!)).toMatchObject({ ok: false, path });
  });
});

describe('the offered repository and the compared log', () => {
  it('an agent reading the offered part plans the same hash as the server', async () => {
    const { offeredRepository, planForHost, comparedLog } = await import('../../src/fleet/index.js');
    const { indexRepository, parseRepositoryIndex } = await import('../../src/repo/index.js');
    const { repositoryJson, reportBody } = await import('../support/fleet-fixtures.js');
    const { reportSchema } = await import('../../src/fleet/index.js');
    const index = indexRepository(parseRepositoryIndex(repositoryJson(), 'index.json'));
    const report = reportSchema.parse(reportBody());
    const time = { now: Date.parse('2026-11-22T00:00:00Z'), expiryWindowDays: 30 };
    const server = planForHost(report.status, report.buildId, index, time);
    const offered = parseRepositoryIndex(JSON.stringify(offeredRepository(index, report.buildId)), 'offer');
    const agent = planForHost(report.status, report.buildId, indexRepository(offered), time);
    expect(agent.planHash).toBe(server.planHash);
    expect(agent.sets.map((s) => s.kind)).toEqual(server.sets.map((s) => s.kind));
    expect(
      comparedLog([
        "livepatch: enabling patch 'lp_a'",
        'klpm-agent: apply x',
        'lp_a: pre_patch_callback: vmlinux',
        'e1000: link up',
      ]),
    ).toEqual(["livepatch: enabling patch 'lp_a'", 'lp_a: pre_patch_callback: vmlinux']);
  });
});
