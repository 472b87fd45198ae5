import { indexRepository, parseRepositoryIndex } from '../../src/repo/index.js';

/** The build every rollout test host runs, and one the rollout's version was not built for. */
export const R_BUILD = '1111111111111111111111111111111111111111';
export const R_OTHER = '2222222222222222222222222222222222222222';

const manifest = (name: string, version: string) => ({
  name,
  replaceSet: 0,
  version,
  objects: [{ name: 'vmlinux', funcs: [{ name: 'shared_fn' }] }],
});

const lp = (name: string, to: string, base: string, more: object = {}) => ({
  component: 'kernel',
  baseBuildId: base,
  base: '6.12.117-1',
  to,
  replaceSet: 0,
  name,
  sha256: (name.charCodeAt(name.length - 1) % 16).toString(16).repeat(64),
  manifest: manifest(name, to),
  ...more,
});

/**
 * Three cumulative livepatches of replace set 0 for R_BUILD (lp_1 1.1, lp_2 1.2, lp_3 1.3, each its
 * own module), and lp_2 for R_OTHER only up to 1.2 (so a rollout of 1.3 has R_OTHER out of scope).
 * R_BUILD's coverage ends 2026-12-20.
 */
export function rolloutRepositoryJson(): string {
  return JSON.stringify({
    format: 'klpm-repository-index',
    version: 1,
    updates: [
      { id: 'U-1', issued: '2026-11-01', livepatches: [lp('lp_1', '6.12.117-1.1', R_BUILD)] },
      {
        id: 'U-2',
        issued: '2026-11-02',
        livepatches: [lp('lp_2', '6.12.117-1.2', R_BUILD), lp('lp_2o', '6.12.117-1.2', R_OTHER)],
      },
      {
        id: 'U-3',
        issued: '2026-11-03',
        livepatches: [lp('lp_3', '6.12.117-1.3', R_BUILD, { expires: '2026-12-20' })],
      },
    ],
  });
}

export const rolloutIndex = () => indexRepository(parseRepositoryIndex(rolloutRepositoryJson(), 'test'));

/** The status a host sends with `loaded` (a module of the repository) enabled, or nothing. */
export function statusWith(loaded: string | null, buildId = R_BUILD) {
  return {
    release: '6.12.117+deb12-amd64',
    kind: 'replace-bool' as const,
    attributes: ['replace'],
    patches:
      loaded === null
        ? []
        : [
            {
              name: loaded,
              enabled: true,
              transition: false,
              replace: true,
              objects: [{ name: 'vmlinux', patched: true, funcs: [{ name: 'shared_fn', sympos: 0 }] }],
            },
          ],
    modules: [],
    buildId,
    livepatchable: { ok: true, reason: 'livepatches can be applied' },
    blocking: [],
    reboot: false,
    problems: [],
  };
}
