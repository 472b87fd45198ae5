import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/lint/index.js';

// docs/lint.md lists every rule lint has, with its source, and no rule it lacks.
describe('docs/lint.md', () => {
  const text = readFileSync(new URL('../../docs/lint.md', import.meta.url), 'utf8');
  const table = [...text.matchAll(/^\| `([a-z-]+)` +\| ([^|]+)\|[^|]+\| ([^|]+)\|$/gm)];

  it('lists every rule id, and only those', () => {
    expect(table.map((m) => m[1]).sort()).toEqual(Object.keys(RULES).sort());
  });

  it('names a source and the severity for each', () => {
    for (const [, id, severity, source] of table) {
      expect(source!.trim(), id).not.toBe('');
      expect(severity!, id).toContain(RULES[id as keyof typeof RULES].severity);
    }
  });
});
