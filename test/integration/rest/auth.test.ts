// Optional bearer-token auth (ANTON_API_TOKENS): every route but /health needs a token.
import { routes } from '../../../src/server/rest/routes.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { api, createSession, detail, doneRun, turn, turnResult, type Api } from './contract.js';

let service: TestService;
let client: Api;

const WRONG_HEADERS: Array<[string, Record<string, string>]> = [
  ['no Authorization header', {}],
  ['a wrong token', { authorization: 'Bearer secret-3' }],
  ['a prefix of a token', { authorization: 'Bearer secret-' }],
  ['both tokens glued', { authorization: 'Bearer secret-1,secret-2' }],
  ['an empty bearer', { authorization: 'Bearer ' }],
  ['the token without a scheme', { authorization: 'secret-1' }],
  ['another scheme', { authorization: 'Basic secret-1' }],
];

const concrete = (path: string): string => path.replace(/\{\w+\}/g, 'some-id');
const bodyFor = (method: string): unknown => (method === 'POST' ? { message: 'hi', approved: true } : undefined);

beforeAll(async () => {
  service = await startTestService({ env: { ANTON_API_TOKENS: 'secret-1, secret-2' } });
  client = api(service);
});
afterAll(() => service.dispose());

test('/health needs no token', async () => {
  const response = await client.call('GET', '/health');
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ status: 'ok' });
  const wrong = await client.call('GET', '/health', undefined, { authorization: 'Bearer wrong' });
  expect(wrong.status).toBe(200);
  expect(wrong.body).toEqual({ status: 'ok' });
});

describe.each(WRONG_HEADERS)('with %s', (_label, headers) => {
  test('every other route answers 401 {"detail":"Not authenticated."}', async () => {
    const targets = [
      ...routes.filter((route) => route.path !== '/health').map((route) => [route.method, concrete(route.path)] as const),
      ['GET', '/openapi.json'] as const,
      ['GET', '/no-such-route'] as const,
    ];
    for (const [method, path] of targets) {
      const response = await client.call(method, path, bodyFor(method), headers);
      expect({ method, path, status: response.status, body: response.body }).toEqual({ method, path, status: 401, body: detail('Not authenticated.') });
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  test('/graphql answers 401 with a GraphQL error', async () => {
    const response = await client.call('POST', '/graphql', { query: '{ health { status } }' }, headers);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ errors: [{ message: 'Not authenticated.', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  test('nothing was created', async () => {
    const response = await client.call('POST', '/sessions', { session_id: 'sneaky' }, headers);
    expect(response.status).toBe(401);
    const check = await client.call('GET', '/sessions/sneaky', undefined, { authorization: 'Bearer secret-1' });
    expect(check.status).toBe(404);
  });
});

describe.each([['secret-1'], ['secret-2']])('with token %s', (token) => {
  const headers = { authorization: `Bearer ${token}` };

  test('every route is reachable (no 401)', async () => {
    const refused: string[] = [];
    for (const route of routes) {
      const response = await client.call(route.method, concrete(route.path), bodyFor(route.method), headers);
      // Unknown ids are 404s (or 200 for lists); what matters is that the token was accepted.
      expect([200, 404, 422]).toContain(response.status);
      if (response.status === 401) refused.push(`${route.method} ${route.path}`);
    }
    expect(refused).toEqual([]);
  });

  test('the whole flow works', async () => {
    const session = await client.post<{ session_id: string }>('/sessions', {}, headers);
    const result = await client.post<{ run_id: string }>(`/sessions/${session.session_id}/turn`, { message: 'hello' }, headers);
    expect(result).toEqual(turnResult(doneRun(result.run_id, session.session_id, 'hello'), false));
    expect(await client.get(`/runs/${result.run_id}`, headers)).toEqual(doneRun(result.run_id, session.session_id, 'hello'));
    expect((await client.call('GET', '/openapi.json', undefined, headers)).status).toBe(200);
    expect((await client.call('GET', '/metrics', undefined, { ...headers, accept: 'text/plain' })).status).toBe(200);
  });

  test('/graphql works', async () => {
    const response = await service.gql<{ health: { status: string } }>('{ health { status } }', {}, { headers });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ health: { status: 'ok' } });
  });

  test('the scheme is case-insensitive', async () => {
    const response = await client.call('GET', '/metrics', undefined, { authorization: `bearer ${token}` });
    expect(response.status).toBe(200);
  });
});

test('without tokens configured nothing needs one', async () => {
  const open = await startTestService();
  try {
    const openClient = api(open);
    const session = await createSession(openClient);
    const result = await turn(openClient, session, { message: 'hello' });
    expect(result.status).toBe('completed');
    expect((await openClient.call('GET', '/openapi.json')).status).toBe(200);
  } finally {
    await open.dispose();
  }
});
