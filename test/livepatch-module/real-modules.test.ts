import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_DIR, e2eCacheDir, kernelSeries, moduleSourceHash } from '../../e2e/harness/kernels.js';
import { parseScenario } from '../../src/klp/index.js';
import { readLivepatchModule } from '../../src/livepatch-module/index.js';
import { livepatchObjects, SAMPLE_MODULES } from '../support/livepatch-objects.js';

/**
 * The .ko files .ci/e2e-setup.sh builds against Debian's 6.1 and 6.12 headers (real Kbuild output:
 * modpost's __this_module, .rela.data, retpoline and ORC sections): the e2e patches read as the
 * committed scenario describes them, and the klpm_lp_* modules as the same sources compiled as plain
 * objects read.
 */
const dirs = (() => {
  const list = join(e2eCacheDir(), 'kernels.list');
  if (!existsSync(list)) return [];
  const hash = moduleSourceHash();
  return readFileSync(list, 'utf8')
    .split('\n')
    .filter((release) => ['6.1', '6.12'].includes(kernelSeries(release)))
    .map((release) => ({ release, dir: join(e2eCacheDir(), 'kernels', release, `modules-${hash}`) }))
    .filter(({ dir }) => existsSync(dir));
})();
if (dirs.length === 0)
  console.warn('livepatch-module: no e2e modules built (.ci/e2e-setup.sh): real-module checks skipped');

const scenario = parseScenario(
  readFileSync(join(E2E_DIR, 'scenarios', 'upgrade-v2.yaml'), 'utf8'),
  'upgrade-v2.yaml',
);

describe.skipIf(dirs.length === 0)('real modules built against Debian headers', () => {
  const { objects } = livepatchObjects();
  for (const { release, dir } of dirs) {
    for (const patch of scenario.patches) {
      it(`${release}: ${patch.name}.ko reads as e2e/scenarios/upgrade-v2.yaml describes it`, () => {
        const file = join(dir, `${patch.name}.ko`);
        const module = readLivepatchModule(readFileSync(file), file);
        expect(module.manifest).toEqual(patch);
        expect(module.modinfo.vermagic?.startsWith(`${release} `)).toBe(true);
      });
    }
    for (const name of SAMPLE_MODULES) {
      it.skipIf(objects.x86_64 === undefined)(
        `${release}: ${name}.ko reads as the same source compiled alone`,
        () => {
          const file = join(dir, `${name}.ko`);
          const real = readLivepatchModule(readFileSync(file), file);
          const alone = readLivepatchModule(readFileSync(objects.x86_64![name]!), name);
          expect(real.manifest).toEqual(alone.manifest);
          expect(real.layout).toBe('states-5.5');
        },
      );
    }
    it(`${release}: the target module is refused as not a livepatch`, () => {
      const file = join(dir, 'klpm_e2e_target.ko');
      expect(() => readLivepatchModule(readFileSync(file), file)).toThrow(/not a livepatch module/);
    });
  }
});
