// Errors shared by every route: unknown routes, wrong methods, malformed JSON, bodies over the
// limit, and never a 500.
import { routes } from '../../../src/server/rest/routes.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { api, createSession, detail, issue, MSG, turn, type Api } from './contract.js';

let service: TestService;
let client: Api;
let session: string;
let runId: string;

beforeAll(async () => {
  service = await startTestService({ env: { ANTON_SERVICE_MAX_BODY_BYTES: '2048' } });
  client = api(service);
  session = await createSession(client, { session_id: 'errors' });
  runId = (await turn(client, session, { message: 'hello' })).run_id;
});
afterAll(() => service.dispose());

describe('unknown routes', () => {
  test.each([
    ['GET', '/nope'],
    ['GET', '/'],
    ['POST', '/nope'],
    ['GET', '/sessions/errors/nope'],
    ['GET', '/runs/x/y/z'],
    ['POST', '/sessions/errors/turn/extra'],
    ['GET', '/approvals/x'],
    ['DELETE', '/nope'],
  ])('%s %s → 404 Not Found', async (method, path) => {
    const response = await client.call(method, path);
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail('Not Found'));
  });

  test('paths are case-sensitive', async () => {
    const response = await client.call('GET', '/Health');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail('Not Found'));
  });
});

describe('wrong methods', () => {
  test.each([
    ['DELETE', '/sessions'],
    ['PUT', '/sessions'],
    ['GET', '/sessions/x/turn'],
    ['DELETE', '/sessions/x'],
    ['POST', '/health'],
    ['POST', '/metrics'],
    ['GET', '/runs/x/cancel'],
    ['POST', '/runs/x'],
    ['PATCH', '/runs/x/trace'],
    ['GET', '/approvals/x/decision'],
    ['DELETE', '/approvals'],
    ['POST', '/openapi.json'],
  ])('%s %s → 405 Method Not Allowed', async (method, path) => {
    const response = await client.call(method, path, method === 'GET' ? undefined : {});
    expect(response.status).toBe(405);
    expect(response.body).toEqual(detail('Method Not Allowed'));
  });

  // FastAPI (without CORS middleware) answers OPTIONS like any other wrong method. Express's
  // router answers it by itself (200, text/plain "GET, HEAD, POST") before the 405 handler of
  // src/server/http.ts (methodNotAllowed) is reached: the REST router built in
  // src/server/rest/router.ts (createRestRouter) needs to leave OPTIONS to that handler.
  test.each([['/sessions'], ['/sessions/x/turn'], ['/health']])('OPTIONS %s → 405 Method Not Allowed', async (path) => {
    const response = await client.call('OPTIONS', path);
    expect({ status: response.status, body: response.body }).toEqual({ status: 405, body: detail('Method Not Allowed') });
  });

  test('405 carries an Allow header', async () => {
    const response = await client.call('DELETE', '/sessions');
    expect(response.headers.get('allow')?.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST']));
  });
});

describe('undecodable path parameters', () => {
  // uvicorn percent-decodes the path leniently (`%ZZ` stays `%ZZ`), so the reference looks the id
  // up and answers its usual 404. Express fails to decode the parameter and the error handler of
  // src/server/http.ts (errorHandler, the `status >= 400 && status < 500` branch) passes Express's
  // own message through: 400 "Failed to decode param '%ZZ'", not even a sentence with a period.
  test('GET /runs/%ZZ and GET /sessions/%ZZ/runs → the usual 404', async () => {
    const run = await client.call('GET', '/runs/%ZZ');
    expect({ status: run.status, body: run.body }).toEqual({ status: 404, body: detail("Unknown run_id '%ZZ'.") });
    const runs = await client.call('GET', '/sessions/%ZZ/runs');
    expect({ status: runs.status, body: runs.body }).toEqual({ status: 404, body: detail("Unknown session_id '%ZZ'.") });
  });
});

describe('malformed JSON', () => {
  test.each([
    ['{"session_id": ', 15, 'Expecting value'],
    ['{bad json}', 1, 'Expecting property name enclosed in double quotes'],
    ['{"a" 1}', 5, "Expecting ':' delimiter"],
    ['{"a": 1 "b": 2}', 8, "Expecting ',' delimiter"],
    ['{"a": 1} x', 9, 'Extra data'],
    ['{"a": "unterminated', 6, 'Unterminated string starting at'],
  ])('POST /sessions with %j → 422 json_invalid', async (text, position, message) => {
    const response = await client.call('POST', '/sessions', text);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('json_invalid', ['body', position], MSG.json_invalid, {}, { error: message })] });
  });

  test('on every route that takes a body', async () => {
    for (const path of [`/sessions/${session}/turn`, '/approvals/x/decision']) {
      const response = await client.call('POST', path, '{"message": "hi",');
      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        detail: [issue('json_invalid', ['body', 17], MSG.json_invalid, {}, { error: 'Expecting property name enclosed in double quotes' })],
      });
    }
  });

  test('JSON null counts as a missing body', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, 'null');
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('missing', ['body'], MSG.missing, null)] });
  });
});

describe('bodies over ANTON_SERVICE_MAX_BODY_BYTES', () => {
  const big = 'x'.repeat(4096);

  test.each([
    ['/sessions', { metadata: { blob: big } }],
    ['/sessions/errors/turn', { message: big }],
    ['/approvals/x/decision', { approved: true, note: big }],
  ])('POST %s → 413 with a detail', async (path, body) => {
    const response = await client.call('POST', path, body);
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ detail: expect.stringMatching(/^\S.*\.$/) });
  });

  test('/graphql too', async () => {
    const response = await client.call('POST', '/graphql', { query: `{ health { status } } # ${big}` });
    expect(response.status).toBe(413);
  });

  test('a body under the limit is fine', async () => {
    const response = await client.call('POST', '/sessions', { metadata: { blob: 'x'.repeat(1500) } });
    expect(response.status).toBe(200);
  });
});

describe('never a 500', () => {
  const odd = ['%E2%98%83', 'a%20b', '..', '%2E%2E', 'x'.repeat(300), '%25', '%00', "quote'd", '%ZZ', '0', '-1'];

  test('odd ids on every route', async () => {
    for (const route of routes.filter((candidate) => candidate.path.includes('{'))) {
      for (const id of odd) {
        const path = route.path.replace(/\{\w+\}/g, id);
        const body = route.body ? { message: 'hi', approved: true } : undefined;
        const response = await service.rest(route.method, path, body);
        expect([200, 400, 404, 405, 409, 422]).toContain(response.status);
        if (response.status !== 200) expect(response.body).toEqual({ detail: expect.anything() });
      }
    }
  });

  test('odd query strings', async () => {
    const queries = [
      '?limit=99999999999999999999999',
      '?limit=1e3',
      '?limit=',
      '?limit=2&limit=x',
      '?since_id=-5',
      '?since_id=9007199254740993',
      '?since_id=1_000',
      '?events_limit=0&events_since_id=-1',
      '?status=&session_id=',
      '?after=%00',
      '?limit=%00',
    ];
    const paths = ['/sessions', `/sessions/${session}/runs`, `/sessions/${session}/events`, `/runs/${runId}/trace`, '/approvals', '/metrics'];
    for (const path of paths) {
      for (const query of queries) {
        const response = await service.rest('GET', path + query);
        expect([200, 400, 422]).toContain(response.status);
      }
    }
  });

  test('odd bodies', async () => {
    const bodies: unknown[] = [
      '',
      '""',
      '[]',
      '123',
      'true',
      '{"message": "\\ud800"}',
      '\uFEFF{"message": "bom"}',
      Buffer.from([0xff, 0xfe, 0x00]),
      { message: 'x', wait_timeout_seconds: -1 },
      { message: 'x', wait_timeout_seconds: 1e308 },
      { message: 'x', wait_timeout_seconds: 'inf' },
      { message: 'x', wait_for_completion: 2 },
      { session_id: 'a/b' },
      { session_id: ' ' },
      { session_id: 'x'.repeat(500) },
      { workspace_path: '\u0000' },
      { metadata: { a: '\u0000' } },
    ];
    for (const body of bodies) {
      for (const path of ['/sessions', `/sessions/${session}/turn`]) {
        const response = await service.rest('POST', path, body);
        expect([200, 400, 422]).toContain(response.status);
      }
    }
  });
});
