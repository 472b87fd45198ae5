import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModule } from '../support/elf-writer.js';
import { kernelJson, snapshot, storeBuild, writeKernel } from '../support/kmp-root.js';
import { hasRawControl, runCli } from '../support/run-cli.js';

// Patch and module names of scenarios and manifests, and the unload command's PATCH, become
// /sys/kernel/livepatch/<name>: refused at parse time with the field, nothing written.

const work = mkdtempSync(join(tmpdir(), 'klpm-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function scenario(modules: unknown[], patches: unknown[]): string {
  const path = join(work, `s${counter++}.json`);
  writeFileSync(path, JSON.stringify({ kernel: { livepatch: 'replace-set' }, modules, patches, steps: [] }));
  return path;
}

const badModuleNames: Array<[string, string]> = [
  ['..', '..'],
  ['a/b', 'a/b'],
  ['NUL', 'a\u0000b'],
  ['newline', 'a\nb'],
  ['ESC', 'a\u001bb'],
  ['56 bytes', 'x'.repeat(56)],
  ['vmlinux', 'vmlinux'],
];

describe('patch and module names', () => {
  it('a good scenario runs (the fixture is sound)', async () => {
    const run = await runCli(['simulate', scenario([{ name: 'ext4' }], [{ name: 'p1' }])]);
    expect(run.code, run.stderr).toBe(0);
  });

  it.each(badModuleNames)('a scenario module named %s is refused', async (_, name) => {
    const file = scenario([{ name }], []);
    const before = snapshot(work);
    const run = await runCli(['simulate', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/modules\[0\]\.name: expected/);
    expect(snapshot(work)).toEqual(before);
  });

  it.each(badModuleNames)('a patch (manifest) named %s is refused', async (_, name) => {
    const run = await runCli(['simulate', scenario([], [{ name }])]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/patches\[0\]\.name: expected/);
  });

  it("a patch object may be 'vmlinux' (the kernel itself), but not 56 bytes long", async () => {
    const ok = await runCli(['simulate', scenario([], [{ name: 'p1', objects: [{ name: 'vmlinux' }] }])]);
    expect(ok.code, ok.stderr).toBe(0);
    const long = await runCli([
      'simulate',
      scenario([], [{ name: 'p1', objects: [{ name: 'x'.repeat(56) }] }]),
    ]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(
      /patches\[0\]\.objects\[0\]\.name: expected a module name of at most 55 bytes/,
    );
  });

  it.each(badModuleNames)(
    'klpm unload PATCH %s is a usage error naming PATCH, nothing written',
    async (_, patch) => {
      const root = mkdtempSync(join(work, 'root-'));
      const before = snapshot(work);
      const run = await runCli(['unload', patch, '--root', root, '--dry-run']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^klpm: PATCH '.*': expected a module name/);
      expect(hasRawControl(run.stderr)).toBe(false);
      expect(snapshot(work)).toEqual(before);
    },
  );
});

describe('klpm kmp remove PACKAGE [VERSION]', () => {
  const K = '6.1.0-1-amd64';
  const badNames: Array<[string, string]> = [
    ['empty', ''],
    ['.', '.'],
    ['..', '..'],
    ['a/b', 'a/b'],
    ['/', '/'],
    ['newline', 'a\nb'],
    ['ESC', 'a\u001bb'],
    ['256 bytes', 'x'.repeat(256)],
  ];
  /** a machine with one build of acme in the store, linked for K */
  function kmpMachine(): string {
    const root = mkdtempSync(join(work, 'kmp-'));
    writeKernel(root, kernelJson(K, ['printk:1']));
    storeBuild(root, 'acme', '1.0-1', K, [{ name: 'acme', imports: ['printk:1'] }]);
    return root;
  }

  it('the fixture is sound: removing acme 1.0-1 works', async () => {
    const root = kmpMachine();
    const run = await runCli(['kmp', 'remove', 'acme', '1.0-1', '--no-depmod', '--root', root]);
    expect(run.code, run.stderr).toBe(0);
  });

  for (const [what, name] of badNames) {
    it(`PACKAGE ${what} is exit 2 naming PACKAGE, nothing written`, async () => {
      const root = kmpMachine();
      const before = snapshot(root);
      const run = await runCli(['kmp', 'remove', name, '--no-depmod', '--root', root]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^klpm: PACKAGE '.*': expected/);
      expect(hasRawControl(run.stderr)).toBe(false);
      expect(snapshot(root)).toEqual(before);
    });
    it(`VERSION ${what} is exit 2 naming VERSION, nothing written`, async () => {
      const root = kmpMachine();
      const before = snapshot(root);
      const run = await runCli(['kmp', 'remove', 'acme', name, '--no-depmod', '--root', root]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^klpm: VERSION '.*': expected/);
      expect(snapshot(root)).toEqual(before);
    });
  }
});

describe('text output escapes control characters in names', () => {
  it('an error line shows an ESC as \\x1b', async () => {
    const run = await runCli(['unload', 'a\u001b[2Jb', '--root', work, '--dry-run']);
    expect(run.stderr).toContain("PATCH 'a\\x1b[2Jb'");
  });

  // a name with an ESC (that would drive the terminal), a newline (that would fake a line) and a DEL
  const EVIL = 'ev\u001b[2Jil\nname\u007f';
  const EVIL_SHOWN = 'ev\\x1b[2Jil\\nname\\x7f';

  it('kmp check: a module file and a symbol named with control characters', async () => {
    const dir = mkdtempSync(join(work, 'kmp-check-'));
    const symvers = join(dir, 'Module.symvers');
    writeFileSync(symvers, '0x00000001\tprintk\tvmlinux\tEXPORT_SYMBOL\n');
    const module = join(dir, `${EVIL}.ko`);
    writeFileSync(
      module,
      writeModule({
        modinfo: ['name=evil', 'vermagic=6.1.0 SMP mod_unload modversions '],
        versions: [{ name: `sym${EVIL}`, crc: 1 }],
      }),
    );
    const run = await runCli(['kmp', 'check', '--symvers', symvers, '--no-cache', module]);
    expect(run.code, run.stderr).toBe(1);
    expect(hasRawControl(run.stdout)).toBe(false);
    expect(run.stdout).toContain(`${join(dir, EVIL_SHOWN)}.ko needs unknown symbol sym${EVIL_SHOWN}\n`);
  });

  /** examples/repo's index with every update id carrying control characters, files left out */
  function evilIndex(): string {
    const index = JSON.parse(
      readFileSync(new URL('../../examples/repo/index.json', import.meta.url), 'utf8'),
    );
    for (const update of index.updates) {
      update.id = `${update.id}${EVIL}`;
      for (const lp of update.livepatches) {
        delete lp.file;
        delete lp.sha256;
      }
    }
    const path = join(work, `evil-index-${counter++}.json`);
    writeFileSync(path, JSON.stringify(index));
    return path;
  }
  const BUILD = '2a4c6e8f0b1d3f5a7c9e0b2d4f6a8c0e1f3a5b7c';

  it('check: update ids with control characters in every line that shows them', async () => {
    const run = await runCli(['check', '--repo', evilIndex(), '--build-id', BUILD, '--now', '2026-03-01']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`KLPM-2026-001${EVIL_SHOWN}`);
    expect(hasRawControl(run.stdout)).toBe(false);
  });

  it('fleet check: a hostname and update ids with control characters', async () => {
    const hosts = join(work, `hosts-${counter++}.jsonl`);
    writeFileSync(hosts, `${JSON.stringify({ id: `h${EVIL}`, buildIds: { kernel: BUILD } })}\n`);
    for (const json of [false, true]) {
      const run = await runCli([
        'fleet',
        'check',
        '--repo',
        evilIndex(),
        '--hosts',
        hosts,
        '--now',
        '2026-03-01',
        ...(json ? ['--json'] : []),
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(hasRawControl(run.stdout)).toBe(false);
      // the JSON lines still read back as the names
      const line = JSON.parse(run.stdout.trimEnd().split('\n').at(-1)!);
      expect(line.host).toBe(`h${EVIL}`);
      expect(line.apply.update).toContain(EVIL);
    }
  });

  it('simulate: a task name with control characters, in the steps and the blocking line', async () => {
    const file = join(work, `s${counter++}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        kernel: { livepatch: 'replace-bool' },
        modules: [{ name: 'busy', funcs: ['work_fn'] }],
        patches: [{ name: 'p1', objects: [{ name: 'busy', funcs: ['work_fn'] }] }],
        steps: [{ load: 'busy' }, { block: { task: EVIL, func: 'work_fn' } }, { load: 'p1' }],
      }),
    );
    for (const flags of [[], ['--log']]) {
      const run = await runCli(['simulate', file, ...flags]);
      expect(run.code, run.stderr).toBe(0);
      expect(hasRawControl(run.stdout)).toBe(false);
      if (flags.length === 0) expect(run.stdout).toContain(`blocking the transition: ${EVIL_SHOWN} (in `);
    }
  });
});
