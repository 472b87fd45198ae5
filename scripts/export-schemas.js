#!/usr/bin/env node
// Writes the JSON Schemas of klpm's input formats to docs/schema/, and the fleet API's OpenAPI
// document to docs/openapi.json (run after `npm run build`).
// test/klp/manifest-schema.test.ts fails while a committed schema differs from the code.
import { writeFileSync } from 'node:fs';
import { patchManifestJsonSchema } from '../dist/klp/index.js';

writeFileSync(
  new URL('../docs/schema/patch-manifest.json', import.meta.url),
  `${JSON.stringify(patchManifestJsonSchema(), null, 2)}\n`,
);

// The fleet API's OpenAPI document, from the route table and its zod schemas;
// test/server/openapi.test.ts fails while docs/openapi.json differs from it.
const { API_VERSION, openApiDocument, routes } = await import('../dist/server/index.js');
writeFileSync(
  new URL('../docs/openapi.json', import.meta.url),
  `${JSON.stringify(openApiDocument(routes, API_VERSION), null, 2)}\n`,
);
