#!/usr/bin/env node
// Writes the JSON Schemas of klpm's input formats to docs/schema/ (run after `npm run build`).
// test/klp/manifest-schema.test.ts fails while a committed schema differs from the code.
import { writeFileSync } from 'node:fs';
import { patchManifestJsonSchema } from '../dist/klp/index.js';

writeFileSync(
  new URL('../docs/schema/patch-manifest.json', import.meta.url),
  `${JSON.stringify(patchManifestJsonSchema(), null, 2)}\n`,
);
