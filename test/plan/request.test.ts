import { describe, expect, it } from 'vitest';
import { patchManifestSchema } from '../../src/klp/index.js';
import { type GoalsResult, goalsFor, type HostLivepatchState, knownPatches } from '../../src/plan/index.js';

import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';

const BUILD = '0011223344556677';
const TIME = { now: Date.parse('2026-11-22T00:00:00Z'), expiryWindowDays: 30 };

/** The goals of a result that must have some. */
function goalsOf(result: GoalsResult) {
  if (result.kind !== 'goals') throw new Error(`expected goals, got: ${result.reason}`);
  return result;
}

/** Two replace sets for BUILD: set 0 (the vendor's cumulative patch) and set 1 (a hotfix line). */
const index = indexRepository(
  parseRepositoryIndex(
    JSON.stringify({
      format: 'klpm-repository-index',
      version: 1,
      updates: [
        {
          id: 'U-1',
          issued: '2026-10-01',
          livepatches: [
            {
              component: 'kernel',
              baseBuildId: BUILD,
              base: '6.1.0-56',
              to: '6.1.0-56.1',
              name: 'lp-6-1-0-56-1',
              file: 'a/lp-6-1-0-56-1.ko',
            },
            {
              component: 'kernel',
              baseBuildId: BUILD,
              base: '6.1.0-56',
              to: '6.1.0-56.10',
              replaceSet: 1,
              name: 'hotfix_10',
            },
          ],
        },
        {
          id: 'U-2',
          issued: '2026-11-01',
          livepatches: [
            {
              component: 'kernel',
              baseBuildId: BUILD,
              base: '6.1.0-56',
              to: '6.1.0-56.2',
              name: 'lp_6_1_0_56_2',
              sha256: 'c'.repeat(64),
            },
          ],
        },
      ],
    }),
    'index.json',
  ),
);

const host = (loaded: Array<{ name: string; version: string; replaceSet?: number }>): HostLivepatchState => ({
  kind: 'replace-bool',
  attributes: [],
  modules: [],
  patches: loaded.map((p) => ({
    manifest: patchManifestSchema.parse({ name: p.name, replace: true, replaceSet: p.replaceSet ?? 0 }),
    to: p.version,
    enabled: true,
    transition: false,
  })),
});

/** Both sets at their newest version. */
const newestLoaded = host([
  { name: 'lp_6_1_0_56_2', version: '6.1.0-56.2' },
  { name: 'hotfix_10', version: '6.1.0-56.10', replaceSet: 1 },
]);

describe('knownPatches', () => {
  it('names each published livepatch by its module name (dashes become underscores, as the kernel keeps them)', () => {
    const known = knownPatches(index, BUILD);
    expect([...known.keys()].sort()).toEqual(['hotfix_10', 'lp_6_1_0_56_1', 'lp_6_1_0_56_2']);
    expect(known.get('lp_6_1_0_56_1')).toMatchObject({
      to: '6.1.0-56.1',
      manifest: { replace: true, replaceSet: 0, objects: [] },
    });
    expect(known.get('hotfix_10')?.manifest.replaceSet).toBe(1);
  });
});

describe('goalsFor', () => {
  it('apply: one goal per replace set the repository publishes for the build, newest first', () => {
    const { goals } = goalsOf(goalsFor({ type: 'apply' }, host([]), index, BUILD, TIME));
    expect(
      goals.map((g) => [g.replaceSet, g.goal.type === 'apply' ? g.goal.patch.version : g.goal.type]),
    ).toEqual([
      [0, '6.1.0-56.2'],
      [1, '6.1.0-56.10'],
    ]);
    expect(goals[0]?.goal).toMatchObject({ patch: { sha256: 'c'.repeat(64) } });
  });

  it('apply: a set already at its newest version has no goal, and says so', () => {
    const result = goalsOf(goalsFor({ type: 'apply' }, newestLoaded, index, BUILD, TIME));
    expect(result.goals).toEqual([]);
    expect(result.reason).toContain('already runs the newest livepatch (6.1.0-56.2)');
  });

  it('apply: a build the repository never built for is a reboot goal', () => {
    const { goals } = goalsOf(goalsFor({ type: 'apply' }, host([]), index, 'ffff', TIME));
    expect(goals).toEqual([
      expect.objectContaining({
        replaceSet: 0,
        goal: { type: 'reboot', reason: expect.stringContaining('was ever built for kernel build ffff') },
      }),
    ]);
  });

  it('rollback: per loaded patch, the newest older version of its set, or removal', () => {
    const { goals } = goalsOf(goalsFor({ type: 'rollback' }, newestLoaded, index, BUILD, TIME));
    expect(goals.map((g) => g.goal)).toEqual([
      expect.objectContaining({ type: 'apply', patch: expect.objectContaining({ version: '6.1.0-56.1' }) }),
      { type: 'remove', patch: 'hotfix_10' },
    ]);
  });

  it('rollback --to a version the repository does not publish for this build is an error', () => {
    expect(goalsFor({ type: 'rollback', to: '6.1.0-56.3' }, host([]), index, BUILD, TIME)).toEqual({
      kind: 'bad-request',
      reason: `the repository offers no livepatch 6.1.0-56.3 for kernel build ${BUILD}: pick a version \`klpm status\` lists`,
    });
  });
});
