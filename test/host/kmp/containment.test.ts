import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelJson, packageDir, snapshot } from '../../support/kmp-root.js';
import { hasRawControl, runCli } from '../../support/run-cli.js';

// Every name of a KMP build or a kernel that becomes a path under --root is refused where it is
// parsed: exit 2, the field named, and nothing written, inside the root or beside it.

const K = '6.1.0-1-amd64';
const work = mkdtempSync(join(tmpdir(), 'klpm-contain-'));
const root = join(work, 'root');
const pkgs = join(work, 'pkgs');
mkdirSync(root);
mkdirSync(pkgs);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const kmp = (args: string[]) => runCli(['kmp', ...args, '--root', root, '--no-depmod']);

const badNames: Array<[string, string]> = [
  ['.', '.'],
  ['..', '..'],
  ['a/b', 'a/b'],
  ['/abs', '/abs'],
  ['NUL', 'a\u0000b'],
  ['newline', 'a\nb'],
  ['ESC', 'a\u001b[2Jb'],
  ['256 bytes', 'x'.repeat(256)],
];

let counter = 0;
/** A package directory whose kmp.json is the good one with `change` applied. */
function kmpJson(change: (d: Record<string, unknown>) => void): string {
  const dir = packageDir(join(pkgs), `p${counter++}`, '1.0-1', K, [{ name: 'acme', imports: ['printk:1'] }]);
  const description = {
    package: 'acme',
    version: '1.0-1',
    kernel: K,
    modules: [{ file: 'acme.ko', name: 'acme', exports: [], imports: [{ name: 'printk', crc: '0x1' }] }],
  };
  change(description);
  writeFileSync(join(dir, 'kmp.json'), JSON.stringify(description));
  return dir;
}

/** Runs a command that must be refused, and checks the tree under `work` did not change. */
async function refused(args: string[], field: RegExp): Promise<string> {
  const before = snapshot(work);
  const run = await kmp(args);
  expect(run.code, run.stdout + run.stderr).toBe(2);
  expect(run.stderr).toMatch(field);
  expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(hasRawControl(run.stderr)).toBe(false);
  expect(snapshot(work)).toEqual(before);
  return run.stderr;
}

describe('names that become paths under --root', () => {
  it('a good build and kernel are taken (the fixtures are sound)', async () => {
    const description = join(work, 'kernel.json');
    writeFileSync(description, JSON.stringify(kernelJson(K, ['printk:1'])));
    expect((await kmp(['add-kernel', K, '--describe', description])).code).toBe(0);
    const added = await kmp(['add', kmpJson(() => {})]);
    expect(added.code, added.stderr).toBe(0);
  });

  for (const field of ['package', 'version', 'kernel'])
    it.each(badNames)(`kmp.json ${field} %s is refused, nothing written`, async (_, value) => {
      await refused(
        ['add', kmpJson((d) => Object.assign(d, { [field]: value }))],
        new RegExp(`kmp\\.json: .*${field}: expected`),
      );
    });

  it.each([
    ['..', '../acme.ko'],
    ['.', './acme.ko'],
    ['/abs', '/tmp/acme.ko'],
    ['newline', 'a\n/acme.ko'],
    ['256-byte segment', `${'x'.repeat(256)}/acme.ko`],
  ])('kmp.json modules[].file %s is refused, nothing written', async (_, file) => {
    await refused(
      ['add', kmpJson((d) => Object.assign((d.modules as object[])[0]!, { file }))],
      /kmp\.json: .*modules\[0\]\.file: expected/,
    );
  });

  it.each([
    ['..', '..'],
    ['vmlinux', 'vmlinux'],
    ['56 bytes', 'x'.repeat(56)],
    ['ESC', 'a\u001bb'],
  ])('kmp.json modules[].name %s is refused, nothing written', async (_, name) => {
    await refused(
      ['add', kmpJson((d) => Object.assign((d.modules as object[])[0]!, { name }))],
      /kmp\.json: .*modules\[0\]\.name: expected/,
    );
  });

  it('a module without a name takes its file name, which must be a module name too (vmlinux.ko is refused)', async () => {
    const dir = kmpJson((d) =>
      Object.assign((d.modules as object[])[0]!, { file: 'vmlinux.ko', name: undefined }),
    );
    writeFileSync(join(dir, 'vmlinux.ko'), 'placeholder\n');
    await refused(['add', dir], /modules\[0\]\.file: expected a module name other than 'vmlinux'/);
  });

  for (const command of ['add-kernel', 'remove-kernel'])
    it.each(badNames.filter(([, v]) => !v.startsWith('-')))(
      `kmp ${command} KERNEL %s is refused, nothing written`,
      async (_, value) => {
        const description = join(work, 'kernel.json');
        writeFileSync(description, JSON.stringify(kernelJson(value, ['printk:1'])));
        const args =
          command === 'add-kernel' ? [command, value, '--describe', description] : [command, value];
        await refused(args, /^klpm: KERNEL '.*': expected a name/);
      },
    );

  it.each([
    [
      'release',
      (d: ReturnType<typeof kernelJson>) => Object.assign(d, { release: '..' }),
      /release: expected/,
    ],
    [
      'modules[].name',
      (d: ReturnType<typeof kernelJson>) => Object.assign(d.modules[0]!, { name: 'x'.repeat(56) }),
      /modules\[0\]\.name: expected/,
    ],
    [
      'modules[].file',
      (d: ReturnType<typeof kernelJson>) => Object.assign(d.modules[0]!, { file: '../../x.ko' }),
      /modules\[0\]\.file: expected/,
    ],
  ])('a kernel description whose %s is bad is refused, nothing written', async (_, change, field) => {
    const d = kernelJson('6.1.0-2-amd64', ['printk:1'], [{ name: 'dm_mod' }]);
    change(d);
    const description = join(work, 'kernel2.json');
    writeFileSync(description, JSON.stringify(d));
    const before = snapshot(work);
    const run = await kmp(['add-kernel', '6.1.0-2-amd64', '--describe', description]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(field);
    expect(snapshot(work)).toEqual(before);
  });

  it('a store that is a symlink out of the root is refused before anything is written', async () => {
    const other = mkdtempSync(join(tmpdir(), 'klpm-contain-root-'));
    try {
      const outside = join(other, 'outside');
      mkdirSync(outside);
      mkdirSync(join(other, 'root/usr/lib/klpm/kmp'), { recursive: true });
      const { symlinkSync } = await import('node:fs');
      symlinkSync(outside, join(other, 'root/usr/lib/klpm/kmp/acme'));
      const before = snapshot(other);
      const run = await runCli([
        'kmp',
        'add',
        kmpJson(() => {}),
        '--root',
        join(other, 'root'),
        '--no-depmod',
      ]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/kmp\.json: package, version, kernel: expected a path inside the KMP store/);
      expect(snapshot(other)).toEqual(before);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
