import { describe, expect, it } from 'vitest';
import { evaluateReport, isStuck, reportSchema, syntheticFleet } from '../../src/fleet/index.js';
import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');

describe('the synthetic fleet of the dashboard tests', () => {
  const fleet = syntheticFleet({ hosts: 2000, builds: 30, eolBuilds: 4, now: NOW });
  const text = JSON.stringify(fleet.repository);
  const index = indexRepository(parseRepositoryIndex(text, 'synthetic.json'));

  it('is end of life exactly on the builds the newest update skips, by the repository rules', () => {
    const time = { now: NOW, expiryWindowDays: 30 };
    const eolBuilds = new Set<string>();
    const others = new Set<string>();
    for (const h of fleet.hosts) {
      const report = reportSchema.parse(h.report);
      const status = evaluateReport(report.status, report.buildId, index, time).status;
      (status === 'kernel-end-of-life' ? eolBuilds : others).add(h.release);
    }
    expect([...eolBuilds].sort()).toEqual(['6.12.100-1', '6.12.101-1', '6.12.102-1', '6.12.103-1']);
    expect(others.size).toBe(26);
  });

  it('ends coverage within the next 26 weeks, and marks the stuck hosts by their reports', () => {
    const updates = (fleet.repository as { updates: Array<{ livepatches: Array<{ expires?: string }> }> })
      .updates;
    const dates = updates.flatMap((u) =>
      u.livepatches.flatMap((l) => (l.expires === undefined ? [] : [Date.parse(l.expires)])),
    );
    expect(dates.length).toBeGreaterThan(10);
    for (const d of dates) expect(d > NOW && d < NOW + 26 * 7 * 86_400_000).toBe(true);
    const stuck = fleet.hosts.filter((h) => isStuck(reportSchema.parse(h.report).status));
    expect(stuck.map((h) => h.hostname)).toEqual(fleet.hosts.filter((h) => h.stuck).map((h) => h.hostname));
    expect(stuck.length).toBeGreaterThan(10);
    // the same call gives the same fleet
    expect(JSON.stringify(syntheticFleet({ hosts: 2000, builds: 30, eolBuilds: 4, now: NOW }))).toBe(
      JSON.stringify(fleet),
    );
  });
});

describe('isStuck', () => {
  const patch = { name: 'p', enabled: true, transition: false, objects: [] };
  it('is a patch in transition or a blocking task, and nothing else', () => {
    expect(isStuck({ patches: [], blocking: [] })).toBe(false);
    expect(isStuck({ patches: [patch], blocking: [] })).toBe(false);
    expect(isStuck({ patches: [{ ...patch, transition: true }], blocking: [] })).toBe(true);
    expect(isStuck({ patches: [], blocking: [{ pid: 1, comm: 'x' }] })).toBe(true);
  });
});
