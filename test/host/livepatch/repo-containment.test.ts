import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../support/kmp-root.js';
import { runCli } from '../../support/run-cli.js';

// A livepatch's `name` and `file`, and repomd.xml's `location href`, are names and relative paths
// that must stay inside the repository directory, as written and after symlinks (mirrors use them).

const work = mkdtempSync(join(tmpdir(), 'klpm-repo-contain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const BUILD = '2a4c6e8f0b1d3f5a7c9e0b2d4f6a8c0e1f3a5b7c';

let counter = 0;
function index(livepatch: Record<string, unknown>, dir = join(work, `repo${counter++}`)): string {
  mkdirSync(dir, { recursive: true });
  const lp = { component: 'kernel', baseBuildId: BUILD, base: '6.1.0-40', to: '6.1.0-40.1', ...livepatch };
  const text = { format: 'klpm-repository-index', version: 1, updates: [{ id: 'U1', livepatches: [lp] }] };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(text));
  return dir;
}

const check = (repo: string) => runCli(['check', '--repo', repo, '--build-id', BUILD, '--now', '2026-03-01']);

async function refused(repo: string, field: RegExp): Promise<void> {
  const before = snapshot(work);
  const run = await check(repo);
  expect(run.code, run.stdout + run.stderr).toBe(2);
  expect(run.stderr).toMatch(field);
  expect(snapshot(work)).toEqual(before);
}

describe('repository names and paths', () => {
  it('a good index is taken (the fixture is sound)', async () => {
    const run = await check(index({ name: 'livepatch_1', file: 'livepatches/p.ko' }));
    expect(run.code, run.stderr).not.toBe(2);
  });

  it.each([
    ['..', '../p.ko'],
    ['/abs', '/etc/p.ko'],
    ['.', 'a/./p.ko'],
    ['NUL', 'a\u0000.ko'],
    ['newline', 'a\n.ko'],
    ['256 bytes', `${'x'.repeat(256)}.ko`],
  ])('file %s is refused', async (_, file) => {
    await refused(
      index({ file }),
      /index\.json: .*updates\[0\]\.livepatches\[0\]\.file: expected a relative path/,
    );
  });

  it.each([
    ['..', '..'],
    ['a/b', 'a/b'],
    ['ESC', 'a\u001bb'],
    ['56 bytes', 'x'.repeat(56)],
    ['vmlinux', 'vmlinux'],
  ])('name %s is refused', async (_, name) => {
    await refused(index({ name }), /index\.json: .*updates\[0\]\.livepatches\[0\]\.name: expected/);
  });

  it('a mirror whose file is a symlinked directory leading outside is refused', async () => {
    const outside = join(work, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'p.ko'), 'not ours\n');
    const dir = index({ file: 'livepatches/p.ko' });
    symlinkSync('../outside', join(dir, 'livepatches'));
    await refused(
      dir,
      /updates\[0\]\.livepatches\[0\]\.file: expected a path inside the repository directory/,
    );
  });

  it('a mirror that is itself a symlink, whose file stays inside after realpath, is taken', async () => {
    const real = index({ file: 'livepatches/p.ko' });
    mkdirSync(join(real, 'livepatches'));
    writeFileSync(join(real, 'livepatches/p.ko'), 'ours\n');
    const mirror = join(work, 'mirror');
    symlinkSync(real, mirror);
    const run = await check(mirror);
    expect(run.code, run.stderr).not.toBe(2);
  });

  it.each([
    ['..', '../updateinfo.xml'],
    ['/abs', '/etc/updateinfo.xml'],
  ])("repomd.xml's location href %s is refused", async (_, href) => {
    const dir = join(work, `yum${counter++}`);
    mkdirSync(join(dir, 'repodata'), { recursive: true });
    writeFileSync(
      join(dir, 'repodata/repomd.xml'),
      `<?xml version="1.0"?>\n<repomd>\n  <data type="updateinfo">\n    <location href="${href}"/>\n  </data>\n</repomd>\n`,
    );
    writeFileSync(join(dir, 'repodata/updateinfo.xml.gz'), gzipSync('<updates/>'));
    await refused(
      dir,
      /repomd\.xml: line \d+: <data type="updateinfo"> <location href>: expected a relative path/,
    );
  });
});
