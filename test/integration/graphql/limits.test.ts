// Query depth and complexity limits (ANTON_GRAPHQL_MAX_DEPTH / ANTON_GRAPHQL_MAX_COMPLEXITY):
// refused before execution with QUERY_TOO_COMPLEX and an exact message; introspection is exempt.
import { getIntrospectionQuery } from 'graphql';
import { startTestService, type TestService } from '../../kit/service.js';
import { postGraphQL, type RawResponse } from './http.js';

let shallow: TestService;
let cheap: TestService;
beforeAll(async () => {
  [shallow, cheap] = await Promise.all([
    startTestService({ env: { ANTON_GRAPHQL_MAX_DEPTH: '4' } }),
    startTestService({ env: { ANTON_GRAPHQL_MAX_COMPLEXITY: '50' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([shallow?.dispose(), cheap?.dispose()]);
});

function expectTooComplex(response: RawResponse, message: string): void {
  expect(response.status).toBe(400);
  expect(response.json).toEqual({ errors: [{ message, locations: [{ line: 1, column: 1 }], extensions: { code: 'QUERY_TOO_COMPLEX' } }] });
}

function expectData(response: RawResponse): void {
  expect(response.json?.errors).toBeUndefined();
  expect(response.status).toBe(200);
}

describe('depth limit 4', () => {
  test('a query 5 levels deep is refused with the exact message', async () => {
    const response = await postGraphQL(shallow, { query: '{ sessions(first: 1) { nodes { runs(first: 1) { nodes { id } } } } }' });
    expectTooComplex(response, 'Query depth 5 exceeds the limit of 4.');
  });

  test('a query 4 levels deep runs; __typename and inline fragments add no level', async () => {
    expectData(await postGraphQL(shallow, { query: '{ sessions(first: 1) { nodes { events(limit: 1) { hasMore } } } }' }));
    expectData(await postGraphQL(shallow, { query: '{ sessions(first: 1) { nodes { ... on Session { events(limit: 1) { hasMore __typename } } } } }' }));
  });

  test('named fragments count where they are spread', async () => {
    const response = await postGraphQL(shallow, {
      query: 'query Deep { ...Top }\nfragment Top on Query { sessions(first: 1) { nodes { ...Runs } } }\nfragment Runs on Session { runs(first: 1) { nodes { id } } }',
    });
    expectTooComplex(response, 'Query depth 5 exceeds the limit of 4.');
  });

  test('a refused query is not executed', async () => {
    const response = await postGraphQL(shallow, {
      query: 'mutation { createSession(input: { sessionId: "deep" }) { id runs(first: 1) { nodes { session { id } } } } }',
    });
    expectTooComplex(response, 'Query depth 5 exceeds the limit of 4.');
    const lookup = await postGraphQL(shallow, { query: '{ session(id: "deep") { id } }' });
    expect(lookup.json?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('complexity limit 50', () => {
  test('list fields cost their page size times their selection', async () => {
    // 1 (sessions) + 1 (nodes) + 30 × 2 (id, createdAt) = 62
    expectTooComplex(await postGraphQL(cheap, { query: '{ sessions(first: 30) { nodes { id createdAt } } }' }), 'Query complexity 62 exceeds the limit of 50.');
    // 1 + (1 + 10 × 2) + (1 + 1) = 24
    expectData(await postGraphQL(cheap, { query: '{ sessions(first: 10) { nodes { id createdAt } pageInfo { hasNextPage } } }' }));
  });

  test('the schema default page size counts when none is given, also for a variable', async () => {
    // 1 + 1 + 50 (sessions' default first) × 1 = 52
    expectTooComplex(await postGraphQL(cheap, { query: '{ sessions { nodes { id } } }' }), 'Query complexity 52 exceeds the limit of 50.');
    expectTooComplex(
      await postGraphQL(cheap, { query: 'query($n: Int) { sessions(first: $n) { nodes { id } } }', variables: { n: 1 } }),
      'Query complexity 52 exceeds the limit of 50.',
    );
  });

  test('nested lists multiply', async () => {
    // 1 + (1 + 5 × (1 + (1 + 4 × 2))) = 52
    expectTooComplex(
      await postGraphQL(cheap, { query: '{ sessions(first: 5) { nodes { runs(first: 4) { nodes { id prompt } } } } }' }),
      'Query complexity 52 exceeds the limit of 50.',
    );
    // 1 + (1 + 2 × (1 + (1 + 3 × 2))) = 18
    expectData(await postGraphQL(cheap, { query: '{ sessions(first: 2) { nodes { runs(first: 3) { nodes { id prompt } } } } }' }));
  });
});

describe('introspection is exempt from both limits', () => {
  test.each([
    ['depth 4', () => shallow],
    ['complexity 50', () => cheap],
  ])('the full introspection query works under %s', async (_label, which) => {
    const response = await postGraphQL(which(), { query: getIntrospectionQuery() });
    expectData(response);
    const schema = (response.json?.data as { __schema: { queryType: { name: string }; mutationType: { name: string }; types: Array<{ name: string }> } }).__schema;
    expect(schema.queryType.name).toBe('Query');
    expect(schema.mutationType.name).toBe('Mutation');
    const names = schema.types.map((type) => type.name);
    for (const name of ['DateTime', 'JSON', 'SafeInt', 'RunStatus', 'SessionConnection', 'RunTrace', 'Metrics']) expect(names).toContain(name);
  });

  test('__type works too', async () => {
    const response = await postGraphQL(cheap, { query: '{ __type(name: "RunStatus") { enumValues { name } } }' });
    expectData(response);
    expect(response.json?.data).toEqual({
      __type: { enumValues: ['QUEUED', 'RUNNING', 'COMPLETED', 'APPROVAL_REQUIRED', 'CANCELLED', 'FAILED'].map((name) => ({ name })) },
    });
  });
});
