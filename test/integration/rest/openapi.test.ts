// GET /openapi.json: an OpenAPI 3.1 document of the REST layer.
import { routes } from '../../../src/server/rest/routes.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { api, type Api } from './contract.js';

let service: TestService;
let client: Api;
let doc: OpenApiDoc;

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

/** The routes of the contract and of the decisions' additions, as clients know them. */
const CONTRACT_ROUTES: Array<[string, string]> = [
  ['get', '/health'],
  ['post', '/sessions'],
  ['get', '/sessions'],
  ['get', '/sessions/{session_id}'],
  ['post', '/sessions/{session_id}/turn'],
  ['get', '/sessions/{session_id}/runs'],
  ['get', '/sessions/{session_id}/events'],
  ['get', '/runs/{run_id}'],
  ['post', '/runs/{run_id}/cancel'],
  ['get', '/runs/{run_id}/artifacts'],
  ['get', '/runs/{run_id}/artifacts/{artifact_id}/content'],
  ['get', '/runs/{run_id}/trace'],
  ['get', '/approvals'],
  ['post', '/approvals/{approval_id}/decision'],
  ['get', '/metrics'],
];

beforeAll(async () => {
  service = await startTestService();
  client = api(service);
  doc = await client.get<OpenApiDoc>('/openapi.json');
});
afterAll(() => service.dispose());

test('is an OpenAPI 3.1 document served as JSON', async () => {
  const response = await client.call('GET', '/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
});

test('every route of the contract is in the route table', () => {
  const table = routes.map((route) => `${route.method.toLowerCase()} ${route.path}`);
  for (const [method, path] of CONTRACT_ROUTES) expect(table).toContain(`${method} ${path}`);
});

test('every route of the table is documented with its method, and nothing else', () => {
  for (const route of routes) {
    const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
    expect(operation).toBeDefined();
    expect(operation!.responses['200']).toBeDefined();
  }
  const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
  expect(documented.sort()).toEqual(routes.map((route) => `${route.method.toLowerCase()} ${route.path}`).sort());
});

test('path parameters are declared', () => {
  for (const route of routes) {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const declared = (doc.paths[route.path]![route.method.toLowerCase()]!.parameters ?? []).filter((parameter) => parameter.in === 'path');
    expect(declared.map((parameter) => parameter.name)).toEqual(names);
    for (const parameter of declared) expect(parameter.required).toBe(true);
  }
});

test('POST routes with a body document its JSON schema', () => {
  for (const route of routes.filter((candidate) => candidate.body)) {
    const operation = doc.paths[route.path]![route.method.toLowerCase()]!;
    const schema = operation.requestBody?.content['application/json']?.schema;
    expect(schema).toBeDefined();
    expect(schema!.type).toBe('object');
    expect(Object.keys(schema!.properties ?? {}).sort()).toEqual(Object.keys(route.body!.shape).sort());
    const required = Object.entries(route.body!.shape)
      .filter(([, spec]) => spec.required)
      .map(([name]) => name);
    expect(schema!.required ?? []).toEqual(required);
  }
});

test('the request bodies of the contract', () => {
  const body = (method: string, path: string): JsonSchema => doc.paths[path]![method]!.requestBody!.content['application/json']!.schema;
  const nullableString = (title: string): Record<string, unknown> => ({ anyOf: [{ type: 'string' }, { type: 'null' }], title, default: null });

  expect(doc.paths['/sessions']!.post!.requestBody!.required).toBe(true);
  expect(body('post', '/sessions')).toEqual({
    type: 'object',
    properties: {
      session_id: nullableString('Session Id'),
      workspace_path: nullableString('Workspace Path'),
      metadata: expect.objectContaining({ anyOf: [expect.objectContaining({ type: 'object' }), { type: 'null' }] }),
    },
  });

  expect(body('post', '/sessions/{session_id}/turn')).toEqual({
    type: 'object',
    properties: {
      message: { type: 'string', title: 'Message' },
      idempotency_key: nullableString('Idempotency Key'),
      wait_for_completion: { type: 'boolean', title: 'Wait For Completion', default: true },
      wait_timeout_seconds: { type: 'number', title: 'Wait Timeout Seconds', default: 300 },
    },
    required: ['message'],
  });

  expect(body('post', '/approvals/{approval_id}/decision')).toEqual({
    type: 'object',
    properties: {
      approved: { type: 'boolean', title: 'Approved' },
      note: nullableString('Note'),
      resume: { type: 'boolean', title: 'Resume', default: false },
    },
    required: ['approved'],
  });

  // The cancel endpoint takes no body.
  expect(doc.paths['/runs/{run_id}/cancel']!.post!.requestBody).toBeUndefined();
});

test('query parameters with their defaults', () => {
  const query = (path: string): Record<string, unknown> =>
    Object.fromEntries(
      (doc.paths[path]!.get!.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.schema.default]),
    );
  expect(query('/sessions/{session_id}/runs')).toEqual({ limit: 100 });
  expect(query('/sessions/{session_id}/events')).toEqual({ since_id: 0, limit: 500 });
  expect(query('/approvals')).toEqual({ status: 'pending', session_id: null, limit: 200 });
  expect(query('/runs/{run_id}/trace')).toEqual({ events_since_id: 0, events_limit: 2000 });
});

test('routes that can fail say so', () => {
  const responses = (method: string, path: string): string[] => Object.keys(doc.paths[path]![method]!.responses);
  expect(responses('get', '/runs/{run_id}')).toEqual(expect.arrayContaining(['200', '404']));
  expect(responses('post', '/sessions')).toEqual(expect.arrayContaining(['200', '409', '422']));
  expect(responses('post', '/sessions/{session_id}/turn')).toEqual(expect.arrayContaining(['200', '404', '422']));
  expect(responses('post', '/approvals/{approval_id}/decision')).toEqual(expect.arrayContaining(['200', '404', '409', '422']));
});
