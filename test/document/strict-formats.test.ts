import { describe, expect, it } from 'vitest';
import { parseJson, parseSourceDocument } from '../../src/document/index.js';
import { InputError } from '../../src/input/index.js';
import { parseKernel, parseKmpBuild } from '../../src/kmp/schema.js';
import { isoTime, parseFleetHosts, parseRepositoryIndex, parseUpdateinfo } from '../../src/repo/index.js';

const A = '1f3e5d7c9b2a4e6f8091a2b3c4d5e6f708192a3b';
const host = (id: string) => JSON.stringify({ id, buildIds: { kernel: A } });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('accepted');
}

describe('hosts.jsonl is JSON Lines', () => {
  it.each([
    ['{id: a, buildIds: {kernel: aa}}', /^h: 2:2: invalid json/],
    ['# a comment', /^h: 2:1: invalid json/],
    [`{"id": "b", "buildIds": {"kernel": "${A}"},}`, /^h: 2:\d+: invalid json/],
    ["{'id': 'b'}", /^h: 2:2: invalid json/],
    ['id: b', /^h: 2:1: invalid json/],
  ])('refuses %s with its line and column', (line, message) => {
    expect(refusal(() => parseFleetHosts(`${host('a')}\n${line}\n`, 'h'))).toMatch(message);
  });

  it('accepts CRLF line ends and blank lines', () => {
    const hosts = parseFleetHosts(`${host('a')}\r\n\r\n  \r\n${host('b')}\r\n`, 'h');
    expect(hosts.map((h) => h.id)).toEqual(['a', 'b']);
  });

  it('refuses a duplicate key, naming it', () => {
    const line = `{"id": "a", "id": "b", "buildIds": {"kernel": "${A}"}}`;
    expect(refusal(() => parseFleetHosts(line, 'h'))).toBe('h: 1:13: invalid json: duplicate key "id"');
  });
});

describe('duplicate keys are refused in every format, with file, line and key', () => {
  const kmp = (extra: string) =>
    `{\n  "package": "acme",\n  "version": "1.0-1",\n  "kernel": "6.1.0-1-amd64",${extra}\n  "modules": [{"file": "acme.ko"}]\n}`;
  it('kmp.json', () => {
    expect(() => parseKmpBuild(kmp(''), 'kmp.json')).not.toThrow();
    expect(refusal(() => parseKmpBuild(kmp('\n  "version": "2.0-1",'), 'kmp.json'))).toBe(
      'kmp.json: 5:3: invalid json: duplicate key "version"',
    );
  });
  it('a kernel description (escaped key spelling counts too)', () => {
    const text =
      '{"release": "6.1.0-1-amd64",\n"symvers": [{"symbol": "a", "crc": 1, "module": "vmlinux", "\\u0063rc": 2}]}';
    expect(refusal(() => parseKernel(text, 'k.json'))).toBe(
      'k.json: 2:60: invalid json: duplicate key "crc"',
    );
  });
  it("klpm's JSON index", () => {
    const text = '{"format": "klpm-repository-index", "version": 1,\n "updates": [], "updates": []}';
    expect(refusal(() => parseRepositoryIndex(text, 'index.json'))).toBe(
      'index.json: 2:17: invalid json: duplicate key "updates"',
    );
  });
  it('a YAML scenario', () => {
    expect(refusal(() => parseSourceDocument('kernel: a\nsteps: []\nkernel: b\n', 's.yaml'))).toBe(
      's.yaml: 3:1: duplicate key "kernel"',
    );
  });
  it('syntax errors in JSON name the line', () => {
    expect(refusal(() => parseJson('{\n  "a": tru\n}', 'x.json'))).toMatch(/^x\.json: 2:8: invalid json/);
  });
});

describe('dates are calendar dates', () => {
  it('refuses 2026-02-30 and takes 2024-02-29', () => {
    expect(isoTime('2026-02-30')).toBeUndefined();
    expect(isoTime('2026-13-01')).toBeUndefined();
    expect(isoTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(isoTime('2026-01-31T10:00:00+02:00')).toBe(Date.UTC(2026, 0, 31, 8));
  });
  it('refuses issued 2026-02-30 in the JSON index and in updateinfo.xml', () => {
    const index =
      '{"format": "klpm-repository-index", "version": 1, "updates": [{"id": "U", "issued": "2026-02-30"}]}';
    expect(refusal(() => parseRepositoryIndex(index, 'i.json'))).toContain('updates[0].issued');
    const xml = '<updates><update><id>U</id><issued date="2026-02-30"/></update></updates>';
    expect(refusal(() => parseUpdateinfo(xml, 'u.xml'))).toContain("'2026-02-30'");
  });
});

describe('documents a well-kept parser refuses', () => {
  it('a YAML alias bomb is bad input at the first alias', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      levels.push(`${n}: &${n} [${Array(10).fill(`*${p}`).join(', ')}]`);
    }
    expect(refusal(() => parseSourceDocument(levels.join('\n'), 'bomb.yaml'))).toMatch(
      /^bomb\.yaml: 2:\d+: aliases expand too far/,
    );
  });
  it('an XML external entity is bad input at the DOCTYPE', () => {
    const xml =
      '<?xml version="1.0"?>\n<!DOCTYPE updates [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n<updates>&x;</updates>';
    expect(refusal(() => parseUpdateinfo(xml, 'u.xml'))).toMatch(/^u\.xml: 2:1: refused xml/);
    const external =
      '<?xml version="1.0"?>\n\n<!DOCTYPE updates SYSTEM "http://example.com/u.dtd">\n<updates/>';
    expect(refusal(() => parseUpdateinfo(external, 'u.xml'))).toMatch(/^u\.xml: 3:1: refused xml/);
  });
});
