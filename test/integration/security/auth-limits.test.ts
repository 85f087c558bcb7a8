// Authentication of every endpoint (REST from the routes table, /graphql over HTTP and
// WebSocket, SSE) with ANTON_API_TOKENS set, oversize bodies, and deep and wide GraphQL queries
// over HTTP and WebSocket at the default limits.
//
// Already proven elsewhere, not repeated here:
// - test/integration/rest/auth.test.ts: every route of the table plus /openapi.json and an
//   unknown path answer 401 {"detail":"Not authenticated."} + WWW-Authenticate for seven kinds of
//   wrong Authorization header; POST /graphql 401 UNAUTHENTICATED; /health open; tokens work.
// - test/integration/live/auth.test.ts: graphql-ws without connectionParams, with a wrong token
//   or without the Bearer scheme closes with 4403; SSE on /sessions/{id}/events needs the token.
// - test/integration/rest/errors.test.ts and graphql/transport.test.ts: 413 for three REST
//   routes and /graphql; test/integration/graphql/limits.test.ts: depth/complexity limits over
//   HTTP with low limits; live/ws.test.ts: the depth limit on the WebSocket path.
import { gzipSync } from 'node:zlib';
import http from 'node:http';
import WebSocket from 'ws';
import { routes } from '../../../src/server/rest/routes.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { Resources, subscribe, wsClient } from '../live/liveKit.js';

const TOKEN = 'sec-token-1';
const MAX_BODY = 4096;
let guarded: TestService;
let open: TestService;
const resources = new Resources();

beforeAll(async () => {
  [guarded, open] = await Promise.all([
    startTestService({ env: { ANTON_API_TOKENS: TOKEN, ANTON_SERVICE_MAX_BODY_BYTES: String(MAX_BODY) } }),
    startTestService({ env: { ANTON_SERVICE_MAX_BODY_BYTES: String(MAX_BODY) } }),
  ]);
});
afterEach(() => resources.closeAll());
afterAll(async () => {
  await Promise.all([guarded?.dispose(), open?.dispose()]);
});

const concrete = (routePath: string): string => routePath.replace(/\{\w+\}/g, 'some-id');

/** Raw HTTP, so that paths are sent exactly as written (fetch would normalise them). */
function raw(service: TestService, method: string, rawPath: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(service.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
    });
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

describe('with ANTON_API_TOKENS set, nothing but /health answers without the token', () => {
  const WRONG: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN} x` }, { authorization: `Bearer  ${TOKEN.toUpperCase()}` }, { 'x-api-key': TOKEN }, { cookie: `token=${TOKEN}` }];

  test('every route of the table, with every method, path spelling and Accept', async () => {
    const spellings = (routePath: string): string[] => [routePath, `${routePath}/`, `/${routePath}`, `${routePath}?token=${TOKEN}`, `${routePath}%2F`, routePath.replace(/^\/(\w)/, (_all, first: string) => `/%${first.charCodeAt(0).toString(16)}`), `/health/..${routePath}`, `/health/%2e%2e${routePath}`];
    const refused: string[] = [];
    for (const route of routes.filter((candidate) => candidate.path !== '/health')) {
      for (const spelled of spellings(concrete(route.path))) {
        for (const method of [route.method, 'HEAD', 'OPTIONS', 'PUT']) {
          for (const headers of WRONG) {
            const accept = route.stream ? 'text/event-stream' : route.text ? 'text/plain' : 'application/json';
            const response = await raw(guarded, method, spelled, { ...headers, accept, 'content-type': 'application/json' }, method === 'POST' ? '{"message":"hi","approved":true}' : undefined);
            if (response.status !== 401) refused.push(`${method} ${spelled} ${JSON.stringify(headers)} → ${response.status}`);
          }
        }
      }
    }
    expect(refused).toEqual([]);
  });

  test('/graphql over GET, POST and odd content types: 401 UNAUTHENTICATED', async () => {
    for (const headers of WRONG) {
      for (const [method, rawPath, body, type] of [
        ['GET', '/graphql?query=%7Bhealth%7Bstatus%7D%7D', undefined, 'application/json'],
        ['POST', '/graphql', '{"query":"{ health { status } }"}', 'application/json'],
        ['POST', '/graphql', '{"query":"mutation { createSession(input: {sessionId: \\"sneaky\\"}) { id } }"}', 'text/plain'],
        ['POST', '/graphql/', '{"query":"{ health { status } }"}', 'application/json'],
      ] as const) {
        const response = await raw(guarded, method, rawPath, { ...headers, 'content-type': type, 'apollo-require-preflight': '1' }, body);
        expect({ rawPath, headers, status: response.status }).toEqual({ rawPath, headers, status: 401 });
      }
    }
    const lookup = await guarded.rest('GET', '/sessions/sneaky', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(lookup.status).toBe(404);
  });

  test('/health is open, with or without a token, and only /health', async () => {
    expect((await raw(guarded, 'GET', '/health')).status).toBe(200);
    expect((await raw(guarded, 'GET', '/health', { authorization: 'Bearer wrong' })).status).toBe(200);
    for (const rawPath of ['/health/', '/Health', '/health%00', '/healthz', '/health.json']) expect((await raw(guarded, 'GET', rawPath)).status).toBe(401);
  });

  test('graphql-ws: a token in the wrong place or of the wrong type closes with 4403', async () => {
    const attempts: Array<[string, Parameters<typeof wsClient>[2]]> = [
      ['a numeric token', { connectionParams: { authorization: 12345 } }],
      ['a list token', { connectionParams: { authorization: [`Bearer ${TOKEN}`] } }],
      ['an object token', { connectionParams: { authorization: { toString: `Bearer ${TOKEN}` } } }],
      ['the token under another key', { connectionParams: { token: TOKEN, apiKey: TOKEN } }],
      ['an empty bearer', { connectionParams: { authorization: 'Bearer ' } }],
      ['the token in the query string', { url: `${guarded.url.replace(/^http/, 'ws')}/graphql?token=${TOKEN}` }],
    ];
    for (const [label, options] of attempts) {
      const { client, closes } = wsClient(guarded, resources, options);
      const sub = subscribe(client, 'subscription { approvalUpdates { id } }');
      await sub.ended;
      expect({ label, items: sub.items, code: (sub.failure as { code?: number } | undefined)?.code }).toEqual({ label, items: [], code: 4403 });
      expect(closes.map((close) => close.code)).toContain(4403);
    }
  });

  test('graphql-ws: a right upgrade header does not rescue a wrong token in connection_init', async () => {
    class Authorized extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: { authorization: `Bearer ${TOKEN}` } });
      }
    }
    const { client } = wsClient(guarded, resources, { webSocketImpl: Authorized, connectionParams: { authorization: 'Bearer wrong' } });
    const sub = subscribe(client, 'subscription { approvalUpdates { id } }');
    await sub.ended;
    expect((sub.failure as { code?: number } | undefined)?.code).toBe(4403);
  });
});

describe('bodies over ANTON_SERVICE_MAX_BODY_BYTES are 413 on every route that reads one', () => {
  const bodyRoutes = routes.filter((route) => route.body);
  const big = JSON.stringify({ message: 'x'.repeat(MAX_BODY), approved: true, name: 'n', prompt_template: 't', session_id: 's', skill_id: 'k' });

  test('with a Content-Length, chunked, and as a gzip bomb', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ message: 'x'.repeat(MAX_BODY * 50) })));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    for (const route of [...bodyRoutes.map((one) => concrete(one.path)), '/graphql']) {
      const variants: Array<[string, Record<string, string>, Buffer | string]> = [
        ['content-length', { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) }, big],
        ['chunked', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, big],
        ['gzip bomb', { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) }, bomb],
      ];
      for (const [label, headers, body] of variants) {
        const response = await raw(open, 'POST', route, headers, body);
        expect({ route, label, status: response.status }).toEqual({ route, label, status: 413 });
        const json = JSON.parse(response.text) as Record<string, unknown>;
        if (route === '/graphql') expect(json).toEqual({ errors: [{ message: 'Request body is too large.', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
        else expect(json).toEqual({ detail: 'Request body is too large.' });
      }
    }
    expect((await raw(open, 'GET', '/health')).status).toBe(200);
  });
});

describe('deep and wide GraphQL queries at the default limits (depth 12, complexity 5000)', () => {
  const deep = `{ session(id: "x") ${'{ runs { nodes { session '.repeat(5)}{ id }${' } } }'.repeat(5)} }`;
  const deepFragments = 'query { session(id: "x") { ...A } } fragment A on Session { runs { nodes { session { ...B } } } } fragment B on Session { runs { nodes { session { ...C } } } } fragment C on Session { runs { nodes { session { ...D } } } } fragment D on Session { runs { nodes { session { ...E } } } } fragment E on Session { runs { nodes { id } } }';
  const wideAliases = `{ ${Array.from({ length: 60 }, (_, index) => `s${index}: sessions(first: 100) { nodes { id } }`).join(' ')} }`;
  const widePage = '{ sessions(first: 1000) { nodes { id createdAt workspacePath metadata runs(first: 1000) { nodes { id } } } } }';

  test.each([
    ['deep', deep],
    ['deep through fragments', deepFragments],
    ['wide through aliases', wideAliases],
    ['wide through page sizes', widePage],
  ])('%s: refused over HTTP with QUERY_TOO_COMPLEX before running', async (_label, query) => {
    const response = await open.gql(query, {}, { allowErrors: true });
    expect(response.status).toBe(400);
    // Depth and complexity may both be exceeded: each is reported, always with this code.
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(new Set(response.errors?.map((error) => error.extensions?.code))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
    expect(response.data).toBeUndefined();
  });

  test.each([
    ['deep', `subscription { runUpdates(sessionId: "x") ${'{ session { runs { nodes '.repeat(4)}{ id }${' } } }'.repeat(4)} }`],
    ['deep through fragments', 'subscription { runUpdates(sessionId: "x") { session { ...A } } } fragment A on Session { runs { nodes { session { ...B } } } } fragment B on Session { runs { nodes { session { ...C } } } } fragment C on Session { runs { nodes { session { ...D } } } } fragment D on Session { runs { nodes { id } } }'],
    ['wide through page sizes', 'subscription { runUpdates(sessionId: "x") { session { runs(first: 1000) { nodes { id prompt status createdAt session { id } } } } } }'],
    ['wide through aliases', `subscription { runUpdates(sessionId: "x") { session { ${Array.from({ length: 60 }, (_, index) => `r${index}: runs(first: 100) { nodes { id } }`).join(' ')} } } }`],
  ])('%s: refused over WebSocket with QUERY_TOO_COMPLEX', async (_label, query) => {
    const { client } = wsClient(open, resources);
    const sub = subscribe(client, query);
    await sub.ended;
    expect(sub.items).toEqual([]);
    expect(sub.errors.length).toBeGreaterThan(0);
    expect(new Set(sub.errors.map((error) => error.extensions?.code))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });
});
