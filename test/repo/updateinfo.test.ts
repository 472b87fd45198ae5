import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import {
  decodeXmlBytes,
  parseRepositoryIndex,
  parseUpdateinfo,
  updateinfoLocation,
} from '../../src/repo/index.js';

function updateinfo(...updates: string[]): string {
  return `<?xml version="1.0"?>\n<updates>\n${updates.join('\n')}\n</updates>\n`;
}
function upd(id: string, body = '', issued = '2023-01-10 00:00:00'): string {
  return `<update type="security">\n<id>${id}</id>\n<issued date="${issued}"/>\n${body}\n</update>`;
}
const LP = '<livepatch component="kernel" base-buildid="ABcd01" base="4.19.19-8.0.20" to="4.19.19-8.0.21"/>';

function thrown(f: () => unknown): InputError {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('updateinfo.xml', () => {
  it('reads updates, guidance and livepatches; build ids become lower case', () => {
    const repo = parseUpdateinfo(
      updateinfo(
        upd(
          'XS-1',
          `<guidance><mandatory/><recommended><value>RebootHost</value></recommended><full><value>RestartToolstack</value><value>EvacuateHost</value></full><livepatch><value>RestartToolstack</value></livepatch></guidance>
<livepatches>${LP}</livepatches>`,
        ),
      ),
      'u.xml',
    );
    expect(repo.warnings).toEqual([]);
    expect(repo.updates).toEqual([
      {
        id: 'XS-1',
        issued: '2023-01-10 00:00:00',
        type: 'security',
        guidance: {
          mandatory: [],
          recommended: ['RebootHost'],
          full: ['RestartToolstack', 'EvacuateHost'],
          livepatch: ['RestartToolstack'],
        },
        livepatches: [
          {
            component: 'kernel',
            baseBuildId: 'abcd01',
            base: '4.19.19-8.0.20',
            to: '4.19.19-8.0.21',
            replaceSet: 0,
          },
        ],
      },
    ]);
  });

  it('unknown guidance values read as RebootHost', () => {
    const repo = parseUpdateinfo(
      updateinfo(
        upd('XS-1', '<guidance><recommended><value>RestartTheWorld</value></recommended></guidance>'),
      ),
      'u.xml',
    );
    expect(repo.updates[0]!.guidance.recommended).toEqual(['RebootHost']);
  });

  it('a livepatch missing an attribute is skipped with a warning naming the update; the rest loads', () => {
    const repo = parseUpdateinfo(
      updateinfo(
        upd('XS-1', `<livepatches><livepatch component="kernel" base="1-1" to="1-2"/>${LP}</livepatches>`),
        upd('XS-2', `<livepatches>${LP}</livepatches>`),
      ),
      'u.xml',
    );
    expect(repo.warnings).toEqual(["update 'XS-1': skipped a <livepatch> without base-buildid"]);
    expect(repo.updates.map((u) => u.livepatches.length)).toEqual([1, 1]);
  });

  it('an update id given twice is an error on the line of the second one', () => {
    const e = thrown(() => parseUpdateinfo(updateinfo(upd('XS-1'), upd('XS-1')), 'u.xml'));
    expect(e.source).toBe('u.xml');
    expect(e.location).toBe('line 9');
    expect(e.detail).toContain("update id 'XS-1' appears twice");
  });

  it('malformed xml names the line and column', () => {
    const e = thrown(() =>
      parseUpdateinfo('<updates>\n<update>\n<id>x</idd>\n</update>\n</updates>', 'u.xml'),
    );
    expect(e.source).toBe('u.xml');
    expect(e.location).toMatch(/^3:\d+$/);
    expect(e.detail).toMatch(/^malformed xml/);
  });

  it('a version that rpm order cannot compare is an error naming the update', () => {
    const bad = LP.replace('to="4.19.19-8.0.21"', 'to="latest"');
    const e = thrown(() =>
      parseUpdateinfo(updateinfo(upd('XS-9', `<livepatches>${bad}</livepatches>`)), 'u.xml'),
    );
    expect(e.location).toContain("update 'XS-9'");
    expect(e.detail).toContain("to 'latest' is not version-release");
  });

  it('gzip is recognised by its magic; corrupt gzip is bad input', () => {
    const text = updateinfo(upd('XS-1'));
    expect(decodeXmlBytes(gzipSync(text), 'u.xml.gz')).toBe(text);
    const broken = gzipSync(text).subarray(0, 20);
    expect(thrown(() => decodeXmlBytes(broken, 'u.xml.gz')).detail).toMatch(/^corrupt gzip/);
  });
});

describe('repomd.xml', () => {
  it('finds the updateinfo location among the data entries', () => {
    const text = `<repomd><data type="primary"><location href="repodata/p.xml.gz"/></data>
<data type="updateinfo"><location href="repodata/abc-updateinfo.xml.gz"/></data></repomd>`;
    expect(updateinfoLocation(text, 'repomd.xml')).toBe('repodata/abc-updateinfo.xml.gz');
  });
  it('a repomd without updateinfo is an error', () => {
    const e = thrown(() => updateinfoLocation('<repomd><data type="primary"/></repomd>', 'repomd.xml'));
    expect(e.detail).toContain('no <data type="updateinfo">');
  });
});

describe('klpm JSON index', () => {
  const lp = { component: 'kernel', baseBuildId: 'AB01', base: '6.1.0-40', to: '6.1.0-40.1' };
  it('reads replace set, expiry and defaults', () => {
    const repo = parseRepositoryIndex(
      JSON.stringify({
        format: 'klpm-repository-index',
        version: 1,
        updates: [{ id: 'K1', livepatches: [{ ...lp, replaceSet: 2, expires: '2026-07-01' }] }],
      }),
      'i.json',
    );
    expect(repo.updates[0]!.livepatches[0]).toMatchObject({
      baseBuildId: 'ab01',
      replaceSet: 2,
      expires: '2026-07-01',
    });
    expect(repo.updates[0]!.guidance.mandatory).toEqual([]);
  });
  it('a bad version names the file, the line and the path', () => {
    const text = `{"format": "klpm-repository-index", "version": 1, "updates": [\n {"id": "K1", "livepatches": [\n  ${JSON.stringify({ ...lp, to: 'x' })}]}]}`;
    const e = thrown(() => parseRepositoryIndex(text, 'i.json'));
    expect(e.source).toBe('i.json');
    expect(e.location).toMatch(/^3:\d+ updates\[0\]\.livepatches\[0\]\.to$/);
  });
  it('a duplicate update id is an error', () => {
    const text = JSON.stringify({
      format: 'klpm-repository-index',
      version: 1,
      updates: [{ id: 'K' }, { id: 'K' }],
    });
    expect(thrown(() => parseRepositoryIndex(text, 'i.json')).detail).toContain("'K' appears twice");
  });
});
