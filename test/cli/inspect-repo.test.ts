import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { E2E_DIR, e2eCacheDir, kernelSeries, moduleSourceHash } from '../../e2e/harness/kernels.js';
import { livepatchObjects } from '../support/livepatch-objects.js';
import { runCli } from '../support/run-cli.js';

const { objects } = livepatchObjects();
const x86 = objects.x86_64!;
const temp = () => mkdtempSync(join(tmpdir(), 'klpm-inspect-'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const env = () => ({ KLPM_CACHE: temp() });

describe('klpm inspect', () => {
  it('--json prints manifest, modinfo and klpSyms as the source declares them', async () => {
    const out = await runCli(['inspect', x86.klpm_lp_callbacks!, '--json']);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['manifest', 'modinfo', 'klpSyms']));
    expect(doc.manifest.objects.map((o: { name: string }) => o.name)).toEqual(['vmlinux', 'klpm_e2e_target']);
    expect(doc.manifest.objects[1].funcs).toEqual([{ name: 'klpm_e2e_value_show', sympos: 1 }]);
    expect(doc.modinfo.livepatch).toBe('Y');
  });
  it('the text form fits one screen and names every func', async () => {
    const out = await runCli(['inspect', x86.klpm_lp_state_v2!]);
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').length).toBeLessThanOrEqual(24);
    expect(out.stdout).toMatch(/replace: yes/);
    expect(out.stdout).toMatch(/7@2/);
    expect(out.stdout).toMatch(/cmdline_proc_show/);
  });
  it('a module that is not a livepatch: exit 2, one line naming the file', async () => {
    const dir = temp();
    const bytes = Buffer.from(readFileSync(x86.klpm_lp_sample!));
    bytes.write('livepatch=N', bytes.indexOf('livepatch=Y'));
    writeFileSync(join(dir, 'plain.ko'), bytes);
    const out = await runCli(['inspect', join(dir, 'plain.ko')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      `klpm: ${join(dir, 'plain.ko')}: not a livepatch module: .modinfo has no livepatch=Y\n`,
    );
  });
});

describe('klpm repo add and repo build', () => {
  const base = ['--base-build-id', 'ab'.repeat(20), '--base', '6.1.0-57', '--issued', '2026-11-01'];
  it('add creates the index, copies a file from outside, and records its sha256 and manifest', async () => {
    const dir = temp();
    const index = join(dir, 'repo', 'index.json');
    const out = await runCli([
      'repo',
      'add',
      '--index',
      index,
      x86.klpm_lp_state_v1!,
      ...base,
      '--to',
      '6.1.0-57.1',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(existsSync(join(dir, 'repo', 'klpm_lp_state_v1.o'))).toBe(true);
    const doc = JSON.parse(readFileSync(index, 'utf8'));
    expect(doc.updates[0].id).toBe('klpm_lp_state_v1-6.1.0-57.1');
    expect(doc.updates[0].issued).toBe('2026-11-01');
    const lp = doc.updates[0].livepatches[0];
    expect(lp).toMatchObject({
      file: 'klpm_lp_state_v1.o',
      sha256: sha256(x86.klpm_lp_state_v1!),
      name: 'klpm_lp_state_v1',
    });
    expect(lp.manifest.states).toEqual([{ id: 7, version: 1 }]);
    // the same livepatch again is refused; another one joins the index
    expect(
      (await runCli(['repo', 'add', '--index', index, x86.klpm_lp_state_v1!, ...base, '--to', '6.1.0-57.1']))
        .code,
    ).toBe(2);
    const second = await runCli([
      'repo',
      'add',
      '--index',
      index,
      x86.klpm_lp_state_v2!,
      ...base,
      '--to',
      '6.1.0-57.2',
      '--update',
      'U-2',
      '--replace-set',
      '1',
    ]);
    expect(second.code).toBe(0);
    const after = JSON.parse(readFileSync(index, 'utf8'));
    expect(after.updates.map((u: { id: string }) => u.id)).toEqual(['klpm_lp_state_v1-6.1.0-57.1', 'U-2']);
    expect(after.updates[1].livepatches[0]).toMatchObject({ replaceSet: 1, manifest: { replaceSet: 1 } });
    // what was written is an index klpm reads
    const check = await runCli(['check', '--repo', index, '--build-id', 'ab'.repeat(20), '--json'], env());
    expect(check.code).toBe(0);
  });
  it('a file inside the index directory is named where it is, not copied', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'mods'));
    copyFileSync(x86.klpm_lp_sample!, join(dir, 'mods', 'sample.ko'));
    const out = await runCli([
      'repo',
      'add',
      '--index',
      join(dir, 'index.json'),
      join(dir, 'mods', 'sample.ko'),
      ...base,
      '--to',
      '6.1.0-57.1',
      '--json',
    ]);
    expect(JSON.parse(out.stdout)).toMatchObject({ copied: false, livepatch: { file: 'mods/sample.ko' } });
  });
  it('build writes an index for a directory and its mapping file; an undescribed module is an error', async () => {
    const dir = temp();
    copyFileSync(x86.klpm_lp_state_v1!, join(dir, 'state_v1.ko'));
    copyFileSync(x86.klpm_lp_state_v2!, join(dir, 'state_v2.ko'));
    const map = {
      format: 'klpm-module-map',
      version: 1,
      defaults: { baseBuildId: 'cd'.repeat(20), base: '6.1.0-57', issued: '2026-11-01' },
      modules: { 'state_v1.ko': { to: '6.1.0-57.1' }, 'state_v2.ko': { to: '6.1.0-57.2', update: 'U-2' } },
    };
    writeFileSync(join(dir, 'klpm-modules.json'), JSON.stringify(map));
    const out = await runCli(['repo', 'build', dir]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(doc.updates.map((u: { id: string }) => u.id)).toEqual(['klpm_lp_state_v1-6.1.0-57.1', 'U-2']);
    expect(doc.updates[1].livepatches[0].sha256).toBe(sha256(join(dir, 'state_v2.ko')));
    copyFileSync(x86.klpm_lp_sample!, join(dir, 'sample.ko'));
    const bad = await runCli(['repo', 'build', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/module file 'sample\.ko' has no entry in the map/);
  });
});

/** The e2e patches built against Debian's 6.1 headers, when .ci/e2e-setup.sh has built them. */
const e2eModules = (() => {
  const list = join(e2eCacheDir(), 'kernels.list');
  if (!existsSync(list)) return undefined;
  const release = readFileSync(list, 'utf8')
    .split('\n')
    .find((r) => kernelSeries(r) === '6.1');
  if (release === undefined) return undefined;
  const dir = join(e2eCacheDir(), 'kernels', release, `modules-${moduleSourceHash()}`);
  return existsSync(dir) ? { release, dir } : undefined;
})();

const BUILD = '00112233445566778899aabbccddeeff00112233';

/** A machine root running `release` with klpm_e2e_target loaded, and a repository of the e2e patches. */
function hostWithRepository(release: string, dir: string, withManifests: boolean): string {
  const root = temp();
  mkdirSync(join(root, 'sys/kernel/livepatch'), { recursive: true });
  mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(join(root, 'proc/sys/kernel/osrelease'), `${release}\n`);
  writeFileSync(join(root, 'proc/modules'), 'klpm_e2e_target 16384 0 - Live 0x0 (O)\n');
  const desc = Buffer.from(BUILD, 'hex');
  const head = Buffer.alloc(12);
  head.writeUInt32LE(4, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(3, 8);
  writeFileSync(join(root, 'sys/kernel/notes'), Buffer.concat([head, Buffer.from('GNU\0'), desc]));
  const repo = join(root, 'var/lib/klpm/repo');
  mkdirSync(repo, { recursive: true });
  // the manifests the e2e suite commits (e2e/scenarios/upgrade-v2.yaml, as e2e/harness/klpm-guest.ts uses them)
  const scenario = parse(readFileSync(join(E2E_DIR, 'scenarios', 'upgrade-v2.yaml'), 'utf8')) as {
    patches: Array<{ name: string }>;
  };
  const updates = scenario.patches.map((patch, i) => {
    copyFileSync(join(dir, `${patch.name}.ko`), join(repo, `${patch.name}.ko`));
    return {
      id: `KLPM-E2E-${i + 1}`,
      issued: `2026-11-0${i + 1}`,
      livepatches: [
        {
          component: 'kernel',
          baseBuildId: BUILD,
          base: '1.0-1',
          to: `1.0-1.${i + 1}`,
          file: `${patch.name}.ko`,
          sha256: sha256(join(dir, `${patch.name}.ko`)),
          ...(withManifests ? { manifest: patch } : {}),
        },
      ],
    };
  });
  writeFileSync(
    join(repo, 'index.json'),
    JSON.stringify({ format: 'klpm-repository-index', version: 1, updates }),
  );
  return root;
}

describe.skipIf(e2eModules === undefined)('manifests read from the module files', () => {
  it('apply on a repository with no manifests predicts the same kernel log as with the committed ones', async () => {
    const { release, dir } = e2eModules!;
    const cache = env();
    const withManifests = await runCli(
      ['apply', '--root', hostWithRepository(release, dir, true), '--dry-run', '--json'],
      cache,
    );
    const without = await runCli(
      ['apply', '--root', hostWithRepository(release, dir, false), '--dry-run', '--json'],
      cache,
    );
    expect(withManifests.code).toBe(0);
    expect(without.code).toBe(0);
    const log = (out: { stdout: string }) =>
      JSON.parse(out.stdout).plans.map((p: { predictedLog: string[] }) => p.predictedLog);
    expect(log(without)).toEqual(log(withManifests));
    // callbacks and states are in it: the empty guess ("no functions") would predict neither
    expect(log(without).flat().join('\n')).toMatch(/pre_patch_callback: vmlinux/);
  });
  it('a manifest that disagrees with its file: apply exits 3 naming the difference, status and check report it', async () => {
    const { release, dir } = e2eModules!;
    const root = hostWithRepository(release, dir, true);
    const indexPath = join(root, 'var/lib/klpm/repo/index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    index.updates[1].livepatches[0].manifest.states = [{ id: 1, version: 1 }];
    writeFileSync(indexPath, JSON.stringify(index));
    const apply = await runCli(['apply', '--root', root, '--dry-run'], env());
    expect(apply.code).toBe(3);
    expect(apply.stdout).toMatch(
      /update KLPM-E2E-2: the manifest disagrees with .*klpm_e2e_v2\.ko .*states: index 1@1, file 1@2/,
    );
    const status = await runCli(['status', '--root', root, '--json'], env());
    expect(status.stdout).toMatch(/the manifest disagrees with/);
    const check = await runCli(['check', '--repo', indexPath, '--build-id', BUILD], env());
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/finding: update KLPM-E2E-2: the manifest disagrees/);
  });
});
