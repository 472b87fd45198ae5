import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fleetEvaluator,
  fleetHostReader,
  fleetLineReader,
  indexRepository,
  parseFleetHostLine,
  parseRepositoryIndex,
  repositoryIndexSchema,
} from '../../src/repo/index.js';

// The fast paths of `klpm fleet check` (the index read without zod per entry, the memo of line
// shapes, the memo of settled builds) must answer exactly what the plain paths answer.

const TIME = { now: Date.parse('2026-01-01T00:00:00Z'), expiryWindowDays: 30 };
const EXAMPLE = new URL('../../examples/repo/index.json', import.meta.url);

describe('the repository index read fast', () => {
  const cases: Array<[string, string]> = [
    ['examples/repo/index.json', readFileSync(EXAMPLE, 'utf8')],
    [
      'a generated index of 60 updates (the shape of bench/fleet-data.js)',
      JSON.stringify({
        format: 'klpm-repository-index',
        version: 1,
        updates: Array.from({ length: 60 }, (_, u) => ({
          id: `UPD-${u}`,
          issued: `2020-01-${String(1 + (u % 28)).padStart(2, '0')}`,
          type: 'security',
          guidance: { mandatory: [], recommended: ['RebootHost'], full: ['RebootHost'], livepatch: [] },
          livepatches: Array.from({ length: 10 }, (_, b) => ({
            component: 'kernel',
            baseBuildId: (0x10000 + u + b).toString(16).padStart(8, '0').repeat(5),
            base: `5.10.0-100.${u + b}`,
            to: `5.10.0-200.${u + 1}`,
            replaceSet: 0,
            ...(b % 3 === 0 ? { expires: '2026-01-20' } : {}),
          })),
        })),
      }),
    ],
    [
      'odd but valid entries (upper-case build ID, spaces round a version, xen, a set given)',
      JSON.stringify({
        format: 'klpm-repository-index',
        version: 1,
        updates: [
          {
            id: 'U1',
            livepatches: [
              { component: 'xen', baseBuildId: 'ABCD', base: ' 4.17.1-1 ', to: '4.17.1-2', replaceSet: 3 },
              {
                component: 'kernel',
                baseBuildId: 'abcd',
                base: '6.1.0-1',
                to: '6.1.0-1.1',
                expires: '2028-02-29',
              },
            ],
          },
          { id: 'U2' },
        ],
      }),
    ],
  ];
  for (const [what, text] of cases)
    it(`gives what the schema gives, key order included: ${what}`, () => {
      const fast = parseRepositoryIndex(text, 'index.json').updates;
      const schema = repositoryIndexSchema.parse(JSON.parse(text)).updates;
      expect(JSON.stringify(fast)).toBe(JSON.stringify(schema));
      expect(fast).toEqual(schema);
    });

  const bad: Array<[string, unknown, RegExp]> = [
    [
      'a bad date',
      { component: 'kernel', baseBuildId: 'ab', base: '1-1', to: '1-2', expires: '2027-02-29' },
      /expires/,
    ],
    ['an odd build ID', { component: 'kernel', baseBuildId: 'abc', base: '1-1', to: '1-2' }, /baseBuildId/],
    [
      'a negative set',
      { component: 'kernel', baseBuildId: 'ab', base: '1-1', to: '1-2', replaceSet: -1 },
      /replaceSet/,
    ],
    [
      'an unknown key',
      { component: 'kernel', baseBuildId: 'ab', base: '1-1', to: '1-2', colour: 'red' },
      /colour/,
    ],
  ];
  for (const [what, livepatch, message] of bad)
    it(`refuses ${what} with the schema's located error`, () => {
      const text = JSON.stringify({
        format: 'klpm-repository-index',
        version: 1,
        updates: [{ id: 'U', livepatches: [livepatch] }],
      });
      expect(() => parseRepositoryIndex(text, 'index.json')).toThrow(message);
    });

  it('refuses an update id given twice', () => {
    const text = JSON.stringify({
      format: 'klpm-repository-index',
      version: 1,
      updates: [{ id: 'U' }, { id: 'U' }],
    });
    expect(() => parseRepositoryIndex(text, 'index.json')).toThrow(/appears twice/);
  });
});

describe('hosts.jsonl lines read through the memo of shapes', () => {
  const repository = parseRepositoryIndex(readFileSync(EXAMPLE, 'utf8'), 'index.json');
  const BUILD = '2a4c6e8f0b1d3f5a7c9e0b2d4f6a8c0e1f3a5b7c';
  const lines = [
    `{"id":"a","buildIds":{"kernel":"${BUILD}"}}`,
    `{"id":"b","buildIds":{"kernel":"${BUILD}"}}`,
    `{"id":"c","buildIds":{"kernel":"${BUILD}"},"applied":{"kernel":"6.1.0-40.1"}}`,
    `{"id":"d","buildIds":{"kernel":"${BUILD}"},"applied":{"kernel":"6.1.0-40.1"}}\r`,
    `{"id":"e\\u0041","buildIds":{"kernel":"${BUILD}"}}`,
    `{"id":"f\\"g","buildIds":{"kernel":"${BUILD}"}}`,
    `{ "id":"h","buildIds":{"kernel":"${BUILD}"}}`,
    `{"id":"i\u007f","buildIds":{"kernel":"${BUILD}"}}`,
    `{"id":"j","buildIds":{"kernel":"ffff"}}`,
    `{"id":"k","buildIds":{"kernel":"ffff"},"applied":{"kernel":"1.0-1"}}`,
    '',
    `{"buildIds":{"kernel":"${BUILD}"},"id":"l"}`,
  ];

  it('answers each line as parseFleetHostLine and fleetEvaluator do', () => {
    const index = indexRepository(repository);
    const read = fleetLineReader(index, TIME, 'hosts.jsonl');
    const evaluate = fleetEvaluator(index, TIME);
    const fast = fleetHostReader();
    lines.forEach((line, i) => {
      const got = read(line, i + 1);
      const host = parseFleetHostLine(line, 'hosts.jsonl', i + 1, fast);
      if (host === undefined) {
        expect(got).toBeUndefined();
        return;
      }
      expect(got?.id).toBe(host.id);
      expect(got?.answers).toEqual(evaluate(host));
    });
  });

  it('hosts of one shape share one answer object; settled builds share it whatever is applied', () => {
    const read = fleetLineReader(indexRepository(repository), TIME, 'hosts.jsonl');
    expect(read(lines[0]!, 1)!.answers).toBe(read(lines[1]!, 2)!.answers);
    expect(read(lines[8]!, 9)!.answers[0]).toBe(read(lines[9]!, 10)!.answers[0]);
  });

  it('a shape seen before does not hide a later line with a key twice', () => {
    const read = fleetLineReader(indexRepository(repository), TIME, 'hosts.jsonl');
    read(lines[0]!, 1);
    expect(() => read(`{"id":"x","id":"y","buildIds":{"kernel":"${BUILD}"}}`, 2)).toThrow(
      /hosts.jsonl: 2:.*duplicate key "id"/,
    );
    expect(() => read(`{"id":"x","buildIds":{"kernel":"${BUILD}"},"id":"y"}`, 3)).toThrow(
      /duplicate key "id"/,
    );
    expect(() => read(`{"id":"x","buildIds":{"kernel":"${BUILD}"}} x`, 4)).toThrow(/hosts.jsonl: 4/);
  });
});
