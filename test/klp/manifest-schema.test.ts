import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { patchManifestJsonSchema } from '../../src/klp/index.js';

describe('docs/schema/patch-manifest.json', () => {
  it('is the schema the code validates with (regenerate: npm run build && node scripts/export-schemas.js)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../docs/schema/patch-manifest.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(patchManifestJsonSchema())));
  });

  it('describes provides and obsoletes', () => {
    const schema = patchManifestJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['replaceSet', 'provides', 'obsoletes', 'replace', 'states', 'objects']),
    );
  });
});
