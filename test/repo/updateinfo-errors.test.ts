import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { parseUpdateinfo, updateinfoLocation } from '../../src/repo/index.js';

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

const updates = (...body: string[]) => `<?xml version="1.0"?>\n<updates>\n${body.join('\n')}\n</updates>\n`;
const update = (id: string, issued = '2023-01-10 00:00:00', body = '') =>
  `<update type="security">\n<id>${id}</id>\n<issued date="${issued}"/>\n${body}\n</update>`;

describe('repomd.xml errors', () => {
  it('a document that is not repomd', () => {
    expect(failure(() => updateinfoLocation('<metadata/>', 'repomd.xml'))).toBe(
      'repomd.xml: line 1: expected a <repomd> root element',
    );
  });

  it('a repository that publishes no updateinfo', () => {
    const text =
      '<?xml version="1.0"?>\n<repomd>\n<data type="primary"><location href="p.xml.gz"/></data>\n</repomd>';
    expect(failure(() => updateinfoLocation(text, 'repomd.xml'))).toBe(
      'repomd.xml: line 2: no <data type="updateinfo"> with a <location href> entry: the repository publishes no updateinfo',
    );
  });
});

describe('updateinfo.xml errors', () => {
  it('a document that is not updates', () => {
    expect(failure(() => parseUpdateinfo('<metadata><x/></metadata>', 'u.xml'))).toBe(
      'u.xml: line 1: expected an <updates> root element',
    );
  });

  it('an update id given twice, at its second place', () => {
    expect(failure(() => parseUpdateinfo(updates(update('XS-1'), update('XS-1')), 'u.xml'))).toBe(
      "u.xml: line 9: update id 'XS-1' appears twice: each update needs its own id",
    );
  });

  it('an issued date that is not a date', () => {
    expect(failure(() => parseUpdateinfo(updates(update('XS-1', '10/01/2023')), 'u.xml'))).toBe(
      "u.xml: line 4: update 'XS-1': issued date '10/01/2023' is not YYYY-MM-DD[ HH:MM:SS]",
    );
  });

  it('a livepatch base-buildid with an odd number of hex digits', () => {
    const lp =
      '<livepatches><livepatch component="kernel" base-buildid="abc" base="4.19.19-8.0.20" to="4.19.19-8.0.21"/></livepatches>';
    expect(failure(() => parseUpdateinfo(updates(update('XS-1', undefined, lp)), 'u.xml'))).toBe(
      "u.xml: line 4 update 'XS-1' <livepatch>: build id 'abc' is not an even number of hex digits",
    );
  });
});

describe('xml errors', () => {
  it('malformed xml, at its line and column', () => {
    expect(failure(() => parseUpdateinfo('<updates>\n<update>\n</updates>', 'u.xml'))).toMatch(
      /^u\.xml: 3:\d+: malformed xml: expected closing tag 'update'/,
    );
  });

  it('a DOCTYPE that declares entities', () => {
    const text = '<?xml version="1.0"?>\n<!DOCTYPE updates [<!ENTITY boom "boom">]>\n<updates/>';
    expect(failure(() => parseUpdateinfo(text, 'u.xml'))).toBe(
      'u.xml: 2:1: refused xml: a DOCTYPE that declares entities or names an external DTD',
    );
  });

  it('a DOCTYPE that names an external DTD', () => {
    const text = '<!DOCTYPE repomd SYSTEM "http://example.com/x.dtd">\n<repomd/>';
    expect(failure(() => updateinfoLocation(text, 'repomd.xml'))).toBe(
      'repomd.xml: 1:1: refused xml: a DOCTYPE that declares entities or names an external DTD',
    );
  });
});
