import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/repo');
const A = '1f3e5d7c9b2a4e6f8091a2b3c4d5e6f708192a3b'; // 4.19.19-8.0.20, dropped by XSA-2023-003
const B = '2a4c6e8f0b1d3f5a7c9e0b2d4f6a8c0e1f3a5b7c'; // 4.19.19-8.0.21
const dir = mkdtempSync(join(tmpdir(), 'klpm-check-'));

describe('klpm check', () => {
  it('reads the example yum repository by its root and prints the fields the issue lists', async () => {
    const out = await runCli([
      'check',
      '--repo',
      EXAMPLE,
      '--build-id',
      B.toUpperCase(),
      '--json',
      '--now',
      '2023-04-01',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      component: 'kernel',
      buildId: B,
      status: 'supported',
      eol: false,
      apply: { to: '4.19.19-8.0.23', base: '4.19.19-8.0.21', baseBuildId: B, update: 'XSA-2023-003' },
      candidates: [
        { to: '4.19.19-8.0.23', update: 'XSA-2023-003' },
        { to: '4.19.19-8.0.22', update: 'XSA-2023-002' },
      ],
      rolledUp: ['XSA-2023-003', 'XSA-2023-002'],
      reboot: 'yes-livepatch-covered',
    });
    expect(typeof json.reason).toBe('string');
  });

  it('says end of life in plain words for a base the newest update dropped (repomd.xml given directly)', async () => {
    const out = await runCli(['check', '--repo', join(EXAMPLE, 'repodata/repomd.xml'), '--build-id', A]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('kernel-end-of-life');
    expect(out.stdout).toContain('no longer cover');
  });

  it('reads the build ID from <root>/sys/kernel/notes when --build-id is absent', async () => {
    const root = join(dir, 'host');
    mkdirSync(join(root, 'sys/kernel'), { recursive: true });
    const desc = Buffer.from(B, 'hex');
    const header = Buffer.alloc(12);
    header.writeUInt32LE(4, 0);
    header.writeUInt32LE(desc.length, 4);
    header.writeUInt32LE(3, 8);
    writeFileSync(join(root, 'sys/kernel/notes'), Buffer.concat([header, Buffer.from('GNU\0'), desc]));
    const out = await runCli(['check', '--repo', EXAMPLE, '--root', root, '--json']);
    expect(JSON.parse(out.stdout)).toMatchObject({ buildId: B, status: 'supported' });
    // a root without sys/kernel/notes: the build is unknown
    const empty = join(dir, 'empty-host');
    mkdirSync(empty, { recursive: true });
    const missing = await runCli(['check', '--repo', EXAMPLE, '--root', empty, '--json']);
    expect(JSON.parse(missing.stdout).status).toBe('unknown');
    // a root that does not exist is bad input, not an unknown build
    const nowhere = await runCli(['check', '--repo', EXAMPLE, '--root', join(dir, 'nothing'), '--json']);
    expect(nowhere.code).toBe(2);
  });

  it('reads updateinfo.xml.gz directly, and the JSON index with its replace set and expiry', async () => {
    const gz = await runCli([
      'check',
      '--repo',
      join(EXAMPLE, 'repodata/updateinfo.xml.gz'),
      '--build-id',
      B,
      '--applied',
      '4.19.19-8.0.22',
      '--json',
    ]);
    expect(JSON.parse(gz.stdout).candidates).toEqual([{ to: '4.19.19-8.0.23', update: 'XSA-2023-003' }]);
    const index = join(EXAMPLE, 'index.json');
    const args = ['check', '--repo', index, '--build-id', B, '--replace-set', '1', '--json'];
    const early = JSON.parse((await runCli([...args, '--now', '2026-03-01'])).stdout);
    expect(early).toMatchObject({
      status: 'supported',
      apply: { to: '6.1.0-40.2', update: 'KLPM-2026-002' },
    });
    // coverage ends 2026-07-01: within 30 days of 2026-06-10
    const late = JSON.parse((await runCli([...args, '--now', '2026-06-10'])).stdout);
    expect(late).toMatchObject({ status: 'kernel-upgrade-required', expires: '2026-07-01' });
    // without --replace-set: the set the build has (1); narrowed to set 0, which has none for it
    const every = JSON.parse((await runCli([...args.slice(0, 5), '--json', '--now', '2026-03-01'])).stdout);
    expect(every.status).toBe('supported');
    const otherSet = JSON.parse((await runCli([...args.slice(0, 5), '--replace-set', '0', '--json'])).stdout);
    expect(otherSet.status).toBe('unsupported');
  });

  it('bad input exits 2 with one line naming the file or flag', async () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<updates>\n<update>\n</updates>\n');
    const out = await runCli(['check', '--repo', bad, '--build-id', B]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`^klpm: ${bad}: \\d+:\\d+: malformed xml`));
    const flag = await runCli(['check', '--repo', EXAMPLE, '--build-id', 'xyz']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--build-id');
  });
});

describe('klpm fleet check', () => {
  it('prints a summary and one JSON line per host component', async () => {
    const hosts = join(dir, 'hosts.jsonl');
    writeFileSync(
      hosts,
      [
        { id: 'h1', buildIds: { kernel: A } },
        { id: 'h2', buildIds: { kernel: B }, applied: { kernel: '4.19.19-8.0.23' } },
        { id: 'h3', buildIds: { kernel: 'ffee', xen: '4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c' } },
      ]
        .map((h) => JSON.stringify(h))
        .join('\n'),
    );
    const out = await runCli(['fleet', 'check', '--repo', EXAMPLE, '--hosts', hosts]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/kernel\s+kernel-end-of-life\s+1/);
    const lines = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.host, l.component, l.status])).toEqual([
      ['h1', 'kernel', 'kernel-end-of-life'],
      ['h2', 'kernel', 'supported'],
      ['h3', 'kernel', 'unsupported'],
      ['h3', 'xen', 'supported'],
    ]);
  });

  it('reads JSON Lines with CRLF line ends, refuses YAML-ish lines and impossible dates', async () => {
    const hosts = join(dir, 'crlf.jsonl');
    writeFileSync(hosts, `${JSON.stringify({ id: 'h1', buildIds: { kernel: A } })}\r\n\r\n`);
    const ok = await runCli(['fleet', 'check', '--repo', EXAMPLE, '--hosts', hosts, '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ host: 'h1', status: 'kernel-end-of-life' });
    const yamlish = join(dir, 'yamlish.jsonl');
    writeFileSync(
      yamlish,
      `${JSON.stringify({ id: 'h1', buildIds: { kernel: A } })}\n{id: h2, buildIds: {kernel: ${A}}}\n`,
    );
    const bad = await runCli(['fleet', 'check', '--repo', EXAMPLE, '--hosts', yamlish]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(new RegExp(`^klpm: ${yamlish}: 2:2: invalid json`));
    const date = await runCli(['fleet', 'check', '--repo', EXAMPLE, '--hosts', hosts, '--now', '2026-02-30']);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain("--now '2026-02-30'");
  });

  it('a bad line is an error naming the file and the line', async () => {
    const hosts = join(dir, 'bad.jsonl');
    writeFileSync(
      hosts,
      `${JSON.stringify({ id: 'h1', buildIds: { kernel: A } })}\n{"id": "h2", "buildIds": {"kernel": "zz"}}\n`,
    );
    const out = await runCli(['fleet', 'check', '--repo', EXAMPLE, '--hosts', hosts]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`^klpm: ${hosts}: line 2 buildIds\\.kernel: `));
  });
});

describe('true sentences: every replace set, the tense of a date, an older `to`', () => {
  const INDEX = join(EXAMPLE, 'index.json');
  const K = '2a4c6e8f0b1d3f5a7c9e0b2d4f6a8c0e1f3a5b7c'; // 6.1.0-40, published in replace set 1 only

  it('check answers for the replace sets the build has, without --replace-set', async () => {
    const out = await runCli(['check', '--repo', INDEX, '--build-id', K, '--now', '2026-03-01', '--json']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({ status: 'supported', apply: { to: '6.1.0-40.2' } });
    expect(json.sets.map((s: { replaceSet: number }) => s.replaceSet)).toEqual([1]);
    expect(json.sets[0].answer.status).toBe('supported');
    const text = await runCli(['check', '--repo', INDEX, '--build-id', K, '--now', '2026-03-01']);
    expect(text.stdout).toContain('replace set 1: supported');
    expect(text.stdout).not.toContain('never built');
    // --replace-set narrows: set 0 has nothing for this build
    const narrowed = await runCli([
      'check',
      '--repo',
      INDEX,
      '--build-id',
      K,
      '--replace-set',
      '0',
      '--json',
    ]);
    expect(JSON.parse(narrowed.stdout)).toMatchObject({ status: 'unsupported', sets: [{ replaceSet: 0 }] });
  });

  it('a coverage date already past reads in the past tense', async () => {
    const args = ['check', '--repo', INDEX, '--build-id', K, '--json', '--now'];
    const soon = JSON.parse((await runCli([...args, '2026-06-20'])).stdout);
    expect(soon.reason).toContain('coverage of this build ends 2026-07-01');
    const past = JSON.parse((await runCli([...args, '2026-08-01'])).stdout);
    expect(past.reason).toContain('coverage of this build ended 2026-07-01');
  });

  it('warns about a livepatch whose `to` is older than its base', async () => {
    const index = join(dir, 'older-to.json');
    const livepatch = { component: 'kernel', baseBuildId: K, base: '6.1.0-40', to: '6.1.0-39.1' };
    writeFileSync(
      index,
      JSON.stringify({
        format: 'klpm-repository-index',
        version: 1,
        updates: [{ id: 'U-1', issued: '2026-01-01', livepatches: [livepatch] }],
      }),
    );
    const out = await runCli(['check', '--repo', index, '--build-id', K]);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(
      `klpm: ${index}: warning: update 'U-1': livepatch to 6.1.0-39.1 is older than its base 6.1.0-40\n`,
    );
  });

  it('fleet check answers per replace set, and takes `applied` per set or as one version', async () => {
    const hosts = join(dir, 'sets.jsonl');
    writeFileSync(
      hosts,
      [
        { id: 'fresh', buildIds: { kernel: K } },
        { id: 'per-set', buildIds: { kernel: K }, applied: { kernel: { '1': '6.1.0-40.2' } } },
        { id: 'one', buildIds: { kernel: K }, applied: { kernel: '6.1.0-40.1' } },
        { id: 'set0', buildIds: { kernel: K }, replaceSet: 0 },
      ]
        .map((h) => JSON.stringify(h))
        .join('\n'),
    );
    const out = await runCli(['fleet', 'check', '--repo', INDEX, '--hosts', hosts, '--now', '2026-03-01']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/kernel\s+supported\s+3/);
    expect(out.stdout).toMatch(/kernel\s+unsupported\s+1/);
    const lines = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.host, l.status, l.apply?.to ?? null, l.sets.length])).toEqual([
      ['fresh', 'supported', '6.1.0-40.2', 1],
      ['per-set', 'supported', null, 1],
      ['one', 'supported', '6.1.0-40.2', 1],
      ['set0', 'unsupported', null, 1],
    ]);
    const bad = join(dir, 'bad-set.jsonl');
    writeFileSync(
      bad,
      JSON.stringify({ id: 'x', buildIds: { kernel: K }, applied: { kernel: { one: 'v-1' } } }),
    );
    expect((await runCli(['fleet', 'check', '--repo', INDEX, '--hosts', bad])).code).toBe(2);
  });
});
