// The error vocabulary of /graphql: the service's own codes (NOT_FOUND, BAD_USER_INPUT, CONFLICT),
// partial data beside errors, and GraphQL's own errors (syntax, validation, variable coercion,
// scalar parsing), which are the client's mistakes: shown as they are, never masked or logged.
import { startTestService, type TestService } from '../../kit/service.js';
import { createLogger } from '../../../src/logger.js';
import { expectOneError, postGraphQL } from './http.js';

const lines: string[] = [];
let service: TestService;
beforeAll(async () => {
  service = await startTestService({ log: createLogger('error', (line) => lines.push(line)) });
  await service.gql(`mutation { createSession(input: { sessionId: "e-1" }) { id } }`);
});
afterAll(() => service.dispose());
beforeEach(() => {
  lines.length = 0;
});
afterEach(() => {
  // None of these is unexpected: nothing may be logged as an error.
  expect(lines).toEqual([]);
});

describe("the service's own errors", () => {
  test('NOT_FOUND keeps the data that could be resolved and names the path', async () => {
    const response = await postGraphQL(service, { query: '{ health { status } run(id: "x") { id } session(id: "e-1") { id } }' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      errors: [{ message: "Unknown run_id 'x'.", locations: [{ line: 1, column: 21 }], path: ['run'], extensions: { code: 'NOT_FOUND' } }],
      data: { health: { status: 'ok' }, run: null, session: { id: 'e-1' } },
    });
  });

  test('each failing field gets its own error, under its alias', async () => {
    const response = await postGraphQL(service, { query: '{ a: run(id: "r1") { id } b: session(id: "s1") { id } c: runTrace(runId: "r2") { model } }' });
    expect(response.status).toBe(200);
    expect(response.json?.data).toEqual({ a: null, b: null, c: null });
    // Fields resolve concurrently, so the errors come in no particular order.
    const errors = response.json?.errors?.map((error) => [error.path, error.message, error.extensions]) ?? [];
    expect(errors.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      [['a'], "Unknown run_id 'r1'.", { code: 'NOT_FOUND' }],
      [['b'], "Unknown session_id 's1'.", { code: 'NOT_FOUND' }],
      [['c'], "Unknown run_id 'r2'.", { code: 'NOT_FOUND' }],
    ]);
  });

  test('BAD_USER_INPUT and CONFLICT from mutations', async () => {
    const badWait = await postGraphQL(service, {
      query: 'mutation($input: SendTurnInput!) { sendTurn(input: $input) { runId } }',
      variables: { input: { sessionId: 'e-1', message: 'x', waitTimeoutSeconds: -0.5 } },
    });
    expectOneError(badWait, { message: 'wait_timeout_seconds must be a number >= 0.', code: 'BAD_USER_INPUT', path: ['sendTurn'], status: 200 });
    const conflict = await postGraphQL(service, { query: 'mutation { createSession(input: { sessionId: "e-1" }) { id } }' });
    expectOneError(conflict, { message: "Session 'e-1' already exists.", code: 'CONFLICT', path: ['createSession'], status: 200 });
    expect(conflict.json?.data).toBeNull();
  });
});

describe("GraphQL's own errors pass through with their codes", () => {
  test('a syntax error is GRAPHQL_PARSE_FAILED (400)', async () => {
    const response = await postGraphQL(service, { query: '{ health { ' });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      errors: [{ message: 'Syntax Error: Expected Name, found <EOF>.', locations: [{ line: 1, column: 12 }], extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
    });
  });

  test('an unknown field is GRAPHQL_VALIDATION_FAILED (400)', async () => {
    const response = await postGraphQL(service, { query: '{ nope }' });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      errors: [{ message: 'Cannot query field "nope" on type "Query".', locations: [{ line: 1, column: 3 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
    });
  });

  test('a variable of the wrong type is BAD_USER_INPUT (400)', async () => {
    const response = await postGraphQL(service, { query: 'query($f: Int) { sessions(first: $f) { nodes { id } } }', variables: { f: 'abc' } });
    expectOneError(response, { message: 'Variable "$f" got invalid value "abc"; Int cannot represent non-integer value: "abc"', code: 'BAD_USER_INPUT', status: 400 });
  });

  test('a missing required variable is BAD_USER_INPUT (400)', async () => {
    const response = await postGraphQL(service, { query: 'query($id: ID!) { run(id: $id) { id } }', variables: {} });
    expectOneError(response, { message: 'Variable "$id" of required type "ID!" was not provided.', code: 'BAD_USER_INPUT', status: 400 });
  });

  test('an input object without a required field is BAD_USER_INPUT (400)', async () => {
    const response = await postGraphQL(service, {
      query: 'mutation($input: SendTurnInput!) { sendTurn(input: $input) { runId } }',
      variables: { input: { sessionId: 'e-1' } },
    });
    expectOneError(response, {
      message: 'Variable "$input" got invalid value { sessionId: "e-1" }; Field "message" of required type "String!" was not provided.',
      code: 'BAD_USER_INPUT',
      status: 400,
    });
  });

  test('a SafeInt literal that is not an integer is BAD_USER_INPUT (400)', async () => {
    const response = await postGraphQL(service, { query: '{ runTrace(runId: "x", eventsSinceId: 1.5) { model } }' });
    expectOneError(response, { message: 'SafeInt must be an integer.', code: 'BAD_USER_INPUT', status: 400 });
  });

  test('a SafeInt variable beyond 2^53-1 is BAD_USER_INPUT (400)', async () => {
    const response = await postGraphQL(service, {
      query: 'query($s: SafeInt) { runTrace(runId: "x", eventsSinceId: $s) { model } }',
      variables: { s: 2 ** 60 },
    });
    expectOneError(response, {
      message: 'Variable "$s" got invalid value 1152921504606847000; SafeInt must be an integer between -(2^53-1) and 2^53-1.',
      code: 'BAD_USER_INPUT',
      status: 400,
    });
  });
});
