// GraphQL over HTTP: CSRF prevention, bearer tokens, malformed and oversized bodies.
import { startTestService, type TestService } from '../../kit/service.js';
import { getGraphQL, postGraphQL } from './http.js';

const CSRF_MESSAGE =
  "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header " +
  '(with a type that is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty value ' +
  'for one of the following headers: x-apollo-operation-name, apollo-require-preflight\n';
const HEALTH = { data: { health: { status: 'ok' } } };

let open: TestService;
let guarded: TestService;
let small: TestService;
beforeAll(async () => {
  [open, guarded, small] = await Promise.all([
    startTestService(),
    startTestService({ env: { ANTON_API_TOKENS: 't1' } }),
    startTestService({ env: { ANTON_SERVICE_MAX_BODY_BYTES: '2048' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.dispose(), guarded?.dispose(), small?.dispose()]);
});

describe('CSRF prevention', () => {
  test('a GET without a preflight header or JSON content type is refused with 400', async () => {
    const response = await getGraphQL(open, '{health{status}}');
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ errors: [{ message: CSRF_MESSAGE, extensions: { code: 'BAD_REQUEST' } }] });
  });

  test('a GET with apollo-require-preflight, x-apollo-operation-name or a JSON content type works', async () => {
    const variants: Array<Record<string, string>> = [{ 'apollo-require-preflight': 'true' }, { 'x-apollo-operation-name': 'Health' }, { 'content-type': 'application/json' }];
    for (const headers of variants) {
      const response = await getGraphQL(open, '{health{status}}', headers);
      expect([response.status, response.json]).toEqual([200, HEALTH]);
    }
  });

  test('a GET may not run a mutation, even with the preflight header', async () => {
    const response = await getGraphQL(open, 'mutation { createSession(input: { sessionId: "via-get" }) { id } }', { 'apollo-require-preflight': 'true' });
    expect(response.status).toBe(405);
    expect(response.json?.errors?.[0]?.message).toBe('GET requests only support query operations, not mutation operations');
    const lookup = await postGraphQL(open, { query: '{ session(id: "via-get") { id } }' });
    expect(lookup.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('a POST with content-type %s is refused', async (contentType) => {
    const response = await postGraphQL(open, JSON.stringify({ query: 'mutation { createSession(input: { sessionId: "csrf" }) { id } }' }), { 'content-type': contentType });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ errors: [{ message: CSRF_MESSAGE, extensions: { code: 'BAD_REQUEST' } }] });
    const lookup = await postGraphQL(open, { query: '{ session(id: "csrf") { id } }' });
    expect(lookup.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('bearer tokens (ANTON_API_TOKENS=t1)', () => {
  const UNAUTHENTICATED = { errors: [{ message: 'Not authenticated.', extensions: { code: 'UNAUTHENTICATED' } }] };

  test.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer t2' }],
    ['another scheme', { authorization: 'Basic dDE=' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('%s is 401 with a GraphQL UNAUTHENTICATED error', async (_label, headers: Record<string, string>) => {
    const response = await postGraphQL(guarded, { query: '{ health { status } }' }, { 'content-type': 'application/json', ...headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.json).toEqual(UNAUTHENTICATED);
  });

  test('a refused mutation does nothing', async () => {
    const refused = await postGraphQL(guarded, { query: 'mutation { createSession(input: { sessionId: "anon" }) { id } }' });
    expect(refused.status).toBe(401);
    const lookup = await postGraphQL(guarded, { query: '{ session(id: "anon") { id } }' }, { 'content-type': 'application/json', authorization: 'Bearer t1' });
    expect(lookup.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  test('Authorization: Bearer t1 works (the scheme is case-insensitive), over POST and GET', async () => {
    for (const authorization of ['Bearer t1', 'bearer t1']) {
      const response = await postGraphQL(guarded, { query: '{ health { status } }' }, { 'content-type': 'application/json', authorization });
      expect([response.status, response.json]).toEqual([200, HEALTH]);
    }
    const viaGet = await getGraphQL(guarded, '{health{status}}', { authorization: 'Bearer t1', 'apollo-require-preflight': 'true' });
    expect([viaGet.status, viaGet.json]).toEqual([200, HEALTH]);
    const created = await guarded.gql<{ createSession: { id: string } }>('mutation { createSession(input: { sessionId: "authed" }) { id } }', {}, { headers: { authorization: 'Bearer t1' } });
    expect(created.data).toEqual({ createSession: { id: 'authed' } });
  });
});

describe('request bodies', () => {
  test('malformed JSON is 400 with a GraphQL error', async () => {
    for (const body of ['{"query": ', '{not json}', '[1,']) {
      const response = await postGraphQL(open, body);
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  test('a JSON body without a query is 400', async () => {
    const response = await postGraphQL(open, { variables: {} });
    expect(response.status).toBe(400);
    expect(response.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  // A body of exactly `size` bytes: the query padded with GraphQL-insignificant spaces.
  const bodyOf = (size: number): string => {
    const body = JSON.stringify({ query: '{ health { status } }' });
    const padded = body.replace('{ health', `{${' '.repeat(size - body.length)} health`);
    expect(Buffer.byteLength(padded)).toBe(size);
    return padded;
  };

  test('a body of exactly ANTON_SERVICE_MAX_BODY_BYTES (2048) is accepted', async () => {
    const response = await postGraphQL(small, bodyOf(2048));
    expect([response.status, response.json]).toEqual([200, HEALTH]);
  });

  test('a body one byte over the limit is 413', async () => {
    const response = await postGraphQL(small, bodyOf(2049));
    expect(response.status).toBe(413);
    const big = await postGraphQL(small, { query: 'mutation($m: JSON) { createSession(input: { sessionId: "big", metadata: $m }) { id } }', variables: { m: { blob: 'x'.repeat(10_000) } } });
    expect(big.status).toBe(413);
    const lookup = await postGraphQL(small, { query: '{ session(id: "big") { id } }' });
    expect(lookup.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
