import type { RouteSpec } from './routes.js';
import { shapeToJsonSchema } from './validation.js';

const detail = { type: 'object', properties: { detail: { type: 'string' } }, required: ['detail'] };
const validationDetail = {
  type: 'object',
  properties: {
    detail: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } }, msg: { type: 'string' }, input: {} },
        required: ['type', 'loc', 'msg', 'input'],
      },
    },
  },
};
const ERROR_DESCRIPTIONS: Record<number, string> = { 400: 'Bad request', 401: 'Missing or wrong bearer token', 404: 'Not found', 409: 'Conflict', 413: 'Body too large' };

/** The OpenAPI 3.1 document of the REST layer, generated from the same table that serves it. */
export function buildOpenApi(routes: RouteSpec[], info: { version: string; authenticated: boolean }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(route.query ?? {}).map(([name, spec]) => ({
        name,
        in: 'query',
        required: spec.required ?? false,
        schema: (shapeToJsonSchema({ [name]: spec }).properties as Record<string, unknown>)[name],
      })),
    ];
    const responses: Record<string, unknown> = {
      200: {
        description: 'Success',
        content: {
          ...(route.file ? { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } : { 'application/json': { schema: route.response } }),
          ...(route.text ? { [route.text.contentType.split(';')[0] ?? 'text/plain']: { schema: { type: 'string' } } } : {}),
        },
      },
    };
    const errorStatuses = [...route.errors, ...(route.body ? [413] : []), ...(info.authenticated && route.path !== '/health' ? [401] : [])];
    for (const status of errorStatuses) {
      responses[status] = { description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: detail } } };
    }
    if (route.body || route.query || parameters.length > 0) {
      responses[422] = { description: 'Validation error', content: { 'application/json': { schema: validationDetail } } };
    }
    const operationId = /(?:query|mutation)\s+(\w+)/.exec(route.operation)?.[1];
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: route.summary,
      operationId,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: route.body.required, content: { 'application/json': { schema: shapeToJsonSchema(route.body.shape) } } } }
        : {}),
      responses,
      ...(info.authenticated && route.path !== '/health' ? { security: [{ bearer: [] }] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Anton Service', version: info.version, description: 'REST compatibility layer of Anton Service; the same API is at /graphql.' },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
