import type { ZodType } from 'zod';
import * as z from 'zod';
import type { Access, Route } from './routes.js';

/** The version of the API the document describes (`info.version`): the paths are under /v1. */
export const API_VERSION = '1.0.0';

/** The body of every answer other than 2xx (docs/fleet.md, "The API as built"). */
export const errorSchema = z.object({
  error: z.string(),
  path: z.string().optional(),
  reenroll: z.boolean().optional(),
});

/**
 * The JSON Schema of a zod schema as the document gives it: the input side (what a client sends;
 * a transform's output is the server's business), draft 2020-12, which OpenAPI 3.1 uses.
 */
export function jsonSchemaOf(schema: ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

const WHO: Readonly<Record<Access, string>> = {
  public: 'anyone, no token',
  enroll: 'anyone: the enrollment secret is in the body',
  read: 'a viewer or admin token',
  admin: 'an admin token',
  host: 'the token of the host the path names (a 401 answer then carries `"reenroll": true`)',
  'any-host': 'any host\'s token (a 401 answer then carries `"reenroll": true`)',
  'host-or-read': "the path's host's token, or a viewer or admin token",
};

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Where a route's path names a parameter: `{id}` or `{sha256}`. */
function pathParameters(path: string) {
  return [...path.matchAll(/\{([a-z0-9]+)\}/g)].map((m) => ({
    name: m[1]!,
    in: 'path',
    required: true,
    schema:
      m[1] === 'sha256'
        ? { type: 'string', pattern: '^[0-9a-f]{64}$' }
        : { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
  }));
}

/** A query schema (a strict object of strings) as OpenAPI parameters, one per property. */
function queryParameters(schema: ZodType) {
  const json = jsonSchemaOf(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (json.required ?? []).includes(name),
    ...((property as { type?: string }).type === 'array' ? { explode: true } : {}),
    schema: property,
  }));
}

/** One operation of the document: its summary, who may call it, its parameters, body and answers. */
function operation(route: Route<unknown>) {
  const { doc, access } = route;
  const tokened = access !== 'public' && access !== 'enroll';
  const responses: Record<string, unknown> = {
    200: {
      description: doc.ok,
      ...(doc.okType === 'text/plain'
        ? { content: { 'text/plain': { schema: { type: 'string' } } } }
        : doc.okType === 'application/octet-stream'
          ? { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
          : {
              content: {
                'application/json': { schema: doc.okSchema === undefined ? {} : jsonSchemaOf(doc.okSchema) },
              },
            }),
    },
  };
  if (route.body !== undefined || doc.query !== undefined)
    responses[400] = error('the body is not JSON, or a field or parameter is bad: `path` names it');
  if (tokened) {
    responses[401] = error('no token, or one the server does not know');
    responses[403] = error('a token not allowed here');
  }
  if (route.body !== undefined) responses[413] = error('the body is over the limit (1 MiB)');
  if (route.limit !== undefined)
    responses[429] = {
      ...error(
        route.limit === 'enroll'
          ? 'too many enrollments from this address; `Retry-After` says when to try again'
          : 'too many reports of this host; `Retry-After` says when to try again',
      ),
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } },
    };
  for (const [status, description] of Object.entries(doc.errors ?? {}))
    responses[status] = error(description);
  const parameters = [
    ...pathParameters(route.path),
    ...(doc.query === undefined ? [] : queryParameters(doc.query)),
  ];
  return {
    summary: doc.summary,
    description: `Who: ${WHO[access]}.`,
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\{([a-z0-9]+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    'x-klpm-access': access,
    security: tokened ? [{ bearer: [] }] : [],
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(route.body) } },
          },
        }),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the zod schemas the
 * routes validate with, so it cannot drift from them (`GET /v1/openapi.json`, docs/openapi.json).
 */
export function openApiDocument(
  table: ReadonlyArray<Route<unknown>>,
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'klpm fleet API',
      version,
      description:
        'JSON under /v1 with `Authorization: Bearer TOKEN` (docs/fleet.md). Authorization is decided before the body is read.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchemaOf(errorSchema) },
    },
  };
}
