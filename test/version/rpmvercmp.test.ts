import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersionRelease, parseVersionRelease, rpmvercmp } from '../../src/version/index.js';

const rpmPresent = spawnSync('rpm', ['--version']).status === 0;

// Worked out by hand from the rules in rpm's rpmio/rpmvercmp.c.
const CASES: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1', 1], // a trailing run makes it newer
  ['5.5p1', '5.5p10', -1],
  ['1.0010', '1.9', 1], // numbers, not strings
  ['1.05', '1.5', 0], // leading zeros do not count
  ['1.0', '1_0', 0], // separators only separate
  ['a', '1', -1], // digits beat letters
  ['XS3', 'xs2', -1], // letters compare as bytes: upper case first
  ['1.0~rc1', '1.0', -1], // tilde sorts before the end
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0^', '1.0', 1], // caret sorts after the end...
  ['1.0^git1', '1.0.1', -1], // ...but before anything else
  ['1.0^a', '1.0^', 1],
];

describe('rpmvercmp', () => {
  it.each(CASES)('%s vs %s is %i, and the reverse is its negation', (a, b, want) => {
    expect(rpmvercmp(a, b)).toBe(want);
    expect(rpmvercmp(b, a)).toBe(-want || 0);
  });

  it('version-release compares version first, then release; the epoch is ignored', () => {
    const vr = (s: string) => parseVersionRelease(s)!;
    expect(compareVersionRelease(vr('4.19.19-8.0.9'), vr('4.19.19-8.0.10'))).toBe(-1);
    expect(compareVersionRelease(vr('4.19.20-1'), vr('4.19.19-9'))).toBe(1);
    expect(compareVersionRelease(vr('2:1.0-1'), vr('1.0-1'))).toBe(0);
    expect(parseVersionRelease('1.0')).toBeUndefined();
    expect(parseVersionRelease('1 0-1')).toBeUndefined();
  });

  it('is an order: antisymmetric and transitive on generated versions', () => {
    fc.assert(
      fc.property(WORD, WORD, WORD, (a, b, c) => {
        expect(rpmvercmp(a, b)).toBe(-rpmvercmp(b, a) || 0);
        if (rpmvercmp(a, b) <= 0 && rpmvercmp(b, c) <= 0) expect(rpmvercmp(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  // rpm's lua rpm.vercmp parses [epoch:]version[-release] (rpmverParse) before comparing, so one table
  // holds bare versions (no '-' or ':') and checks rpmvercmp, the other version-release pairs.
  it.skipIf(!rpmPresent)(
    'agrees with the real rpm on 6,000 generated version pairs (needs Debian package rpm)',
    () => {
      const pairs = generatePairs(20261123, 6000, WORD);
      const answers = rpmVercmp(pairs);
      const mismatches = pairs.map(([a, b], i) => ({ a, b, rpm: answers[i], klpm: rpmvercmp(a, b) }));
      expect(mismatches.filter((m) => m.rpm !== m.klpm).slice(0, 5)).toEqual([]);
    },
  );

  it.skipIf(!rpmPresent)(
    'agrees with the real rpm on 3,000 version-release pairs (needs Debian package rpm)',
    () => {
      const pairs = generatePairs(
        7,
        3000,
        fc.tuple(WORD, WORD).map(([v, r]) => `${v}-${r}`),
      );
      const answers = rpmVercmp(pairs);
      const vr = (s: string) => parseVersionRelease(s)!;
      const mismatches = pairs.map(([a, b], i) => ({
        a,
        b,
        rpm: answers[i],
        klpm: compareVersionRelease(vr(a), vr(b)),
      }));
      expect(mismatches.filter((m) => m.rpm !== m.klpm).slice(0, 5)).toEqual([]);
    },
  );
});

const ALPHABET = ['0', '1', '2', '9', '00', '10', 'a', 'b', 'Z', 'rc', '.', '_', '+', '~', '^'];
const PIECE = fc.constantFrom(...ALPHABET);
const WORD = fc.array(PIECE, { minLength: 1, maxLength: 7 }).map((parts) => parts.join(''));

/** A seeded table: half random pairs, half a word against itself plus a small tail, where finer rules decide. */
function generatePairs(seed: number, count: number, make: fc.Arbitrary<string>): Array<[string, string]> {
  const pair = fc.oneof(
    fc.tuple(make, make),
    fc
      .tuple(make, fc.array(PIECE, { minLength: 1, maxLength: 2 }))
      .map(([a, tail]) => [a, a + tail.join('')]),
    fc
      .tuple(make, fc.array(PIECE, { minLength: 1, maxLength: 2 }))
      .map(([a, tail]) => [a + tail.join(''), a]),
  ) as fc.Arbitrary<[string, string]>;
  return fc.sample(pair, { seed, numRuns: count });
}

/** Asks one rpm process for every pair: its embedded lua reads the table and prints rpm.vercmp. */
function rpmVercmp(pairs: ReadonlyArray<[string, string]>): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-rpmvercmp-'));
  const table = join(dir, 'pairs.txt');
  writeFileSync(table, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
  const lua = `%{lua: for l in io.lines("${table}") do local a, b = l:match("^(%S+) (%S+)$"); print(rpm.vercmp(a, b) .. "\\n") end}`;
  const run = spawnSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`rpm --eval failed: ${run.stderr}`);
  const answers = run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
  if (answers.length !== pairs.length)
    throw new Error(`rpm answered ${answers.length} of ${pairs.length} pairs`);
  return answers;
}
