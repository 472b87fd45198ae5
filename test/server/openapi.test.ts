import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hostQuerySchema } from '../../src/fleet/index.js';
import { API_VERSION, openApiDocument, routes } from '../../src/server/index.js';

// The OpenAPI document is generated from the route table; these tests hold it to the table and to
// the schemas the routes validate with, and the committed docs/openapi.json to the generated one.

const doc = openApiDocument(routes, API_VERSION) as {
  openapi: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document, read field by field
  paths: Record<string, Record<string, any>>;
  components: { securitySchemes: Record<string, unknown> };
};

const withoutDialect = (schema: Record<string, unknown>) => {
  const { $schema: _, ...rest } = schema;
  return rest;
};

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer scheme, and lists exactly the routes of the table', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const listed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('every request body schema is the one its route validates with', () => {
    for (const route of routes) {
      const op = doc.paths[route.path]![route.method.toLowerCase()];
      if (route.body === undefined) {
        expect(op.requestBody, `${route.method} ${route.path}`).toBeUndefined();
        continue;
      }
      expect(op.requestBody.content['application/json'].schema, `${route.method} ${route.path}`).toEqual(
        withoutDialect(
          z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
        ),
      );
    }
  });

  it('every operation says who may call it, and answers 401 and 403 exactly when a token is needed', () => {
    for (const route of routes) {
      const op = doc.paths[route.path]![route.method.toLowerCase()];
      const tokened = route.access !== 'public' && route.access !== 'enroll';
      expect(op['x-klpm-access']).toBe(route.access);
      expect(op.security).toEqual(tokened ? [{ bearer: [] }] : []);
      expect(Object.keys(op.responses)).toContain('200');
      expect('401' in op.responses).toBe(tokened || route.access === 'enroll');
      expect('403' in op.responses).toBe(tokened);
      if (route.body !== undefined)
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '413']));
      for (const name of route.path.match(/\{([a-z0-9]+)\}/g) ?? [])
        expect(op.parameters.map((p: { name: string }) => `{${p.name}}`)).toContain(name);
    }
  });

  it('the host list names every query parameter its schema reads', () => {
    const params = doc.paths['/v1/hosts']!.get.parameters as Array<{ name: string; in: string }>;
    expect(
      params
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual(Object.keys(hostQuerySchema.shape).sort());
  });

  it('docs/openapi.json is the generated document (scripts/export-schemas.js writes it)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});
