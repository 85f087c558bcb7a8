// Fuzz: GraphQL documents and envelopes against /graphql. Documents are generated from the
// schema itself (every Query and Mutation field, its arguments and its return type, so new
// fields are fuzzed automatically) and then broken: wrong argument and variable types, unknown
// fields, syntax errors, deep and wide selections, huge aliases, deep input literals, and
// malformed request envelopes. Every answer must be JSON with `data` or with `errors` that all
// carry an `extensions.code` (never INTERNAL_SERVER_ERROR), and never a 5xx.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { makeHome, startTestService, type TestService } from '../../kit/service.js';
import { expectAlive, fuzz, graphqlProblem, nastyString, Tally, type Probe } from './kit.js';

const SEED = 777_2026;
const CASES = 2000;
const MAX_BODY_BYTES = 262_144;

const schema = buildSchema(readFileSync(path.join(process.cwd(), 'schema.graphql'), 'utf8'));
const queryType = schema.getQueryType()!;
const mutationType = schema.getMutationType()!;

let service: TestService;
let home: string;
const tally = new Tally();

beforeAll(async () => {
  home = await makeHome();
  // Mutations that happen to be valid create sessions: keep their workspaces inside the home.
  service = await startTestService({ home, env: { ANTON_WORKSPACES_ROOT: home, ANTON_SERVICE_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
});
afterAll(async () => {
  await service?.dispose();
  await rm(home, { recursive: true, force: true });
});

const gqlString = (text: string): string => JSON.stringify(text.replace(/[\uD800-\uDFFF]/g, '?'));

/** A literal for an argument of `type`: often right, often wrong. */
function literal(type: GraphQLInputType, depth: number): fc.Arbitrary<string> {
  const named = getNamedType(type);
  const wrong = fc.constantFrom('"s"', '1', '-1', '2147483648', '-2147483649', '99999999999999999999', '1.5', '1e400', 'true', 'null', '[1, "a"]', '{ a: 1 }', 'NOPE', '$undeclared', '""');
  let right: fc.Arbitrary<string>;
  if (isInputObjectType(named) && depth > 0) {
    const fields = Object.values(named.getFields());
    right = fc
      .tuple(...fields.map((field) => fc.option(literal(field.type, depth - 1), { nil: undefined })), fc.boolean())
      .map(([...values]) => {
        const extra = values.pop() as boolean;
        const members = fields.flatMap((field, index) => (values[index] === undefined ? [] : [`${field.name}: ${values[index]}`]));
        return `{ ${[...members, ...(extra ? ['zzUnknown: 1'] : [])].join(', ')} }`;
      });
  } else if (isEnumType(named)) {
    right = fc.constantFrom(...named.getValues().map((value) => value.name), 'completed');
  } else if (isScalarType(named)) {
    right = {
      Int: fc.oneof(fc.integer().map(String), fc.constantFrom('0', '-1', '2147483647')),
      Float: fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Number.isInteger(value) ? `${value}.0` : String(value)).replace('e+', 'e')),
      String: nastyString.map((text) => gqlString(text.slice(0, 2000))),
      Boolean: fc.constantFrom('true', 'false'),
      ID: fc.oneof(fc.constantFrom('"fuzz0unknown"', '"x"', '""', '1'), nastyString.map((text) => gqlString(text.slice(0, 500)))),
      SafeInt: fc.constantFrom('0', '-1', '9007199254740991', '9007199254740993', '"12"', '"x"'),
      JSON: fc.jsonValue({ maxDepth: 3 }).map((value) => toGraphqlLiteral(value)),
      DateTime: fc.constantFrom('"2026-01-01T00:00:00Z"', '"yesterday"'),
    }[named.name] ?? fc.constant('"x"');
  } else {
    right = fc.constant('"x"');
  }
  return fc.oneof({ arbitrary: right, weight: 3 }, { arbitrary: wrong, weight: 1 });
}

/** A JSON value as a GraphQL literal (objects with unquoted keys, which must be names). */
function toGraphqlLiteral(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(toGraphqlLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(key) ? key : 'k'}: ${toGraphqlLiteral(item)}`)
      .join(', ')} }`;
  }
  if (typeof value === 'string') return gqlString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).replace('e+', 'e') : '0';
  return String(value);
}

/** A selection set for `type`, `depth` levels deep at most, with the odd unknown field. */
function selection(type: GraphQLNamedType, depth: number): fc.Arbitrary<string> {
  if (isUnionType(type)) {
    const members = type.getTypes();
    return fc.tuple(...members.map((member) => selection(member, depth))).map((parts) => `{ __typename ${members.map((member, index) => `... on ${member.name} ${parts[index]}`).join(' ')} }`);
  }
  if (!isObjectType(type)) return fc.constant('');
  const fields = Object.values(type.getFields()).filter((field) => depth > 0 || !isObjectType(getNamedType(field.type)) && !isUnionType(getNamedType(field.type)));
  if (fields.length === 0) return fc.constant('{ __typename }');
  return fc
    .tuple(fc.subarray(fields, { minLength: 1, maxLength: Math.min(5, fields.length) }), fc.constantFrom('', '', '', 'zzUnknown', '__typename', 'id(x: 1)'))
    .chain(([chosen, extra]) =>
      fc.tuple(...chosen.map((field) => fieldCall(field, depth - 1))).map((parts) => `{ ${[...parts, extra].filter(Boolean).join(' ')} }`),
    );
}

function fieldCall(field: ReturnType<GraphQLObjectType['getFields']>[string], depth: number): fc.Arbitrary<string> {
  const args = field.args;
  const named = getNamedType(field.type);
  return fc
    .tuple(
      fc.tuple(...args.map((arg) => fc.option(literal(arg.type, 3), { nil: undefined, freq: 3 }))),
      isObjectType(named) || isUnionType(named) ? selection(named, Math.max(0, depth)) : fc.constantFrom('', '', '', '{ id }'),
      fc.option(fc.constantFrom('a', 'alias_1', '__x', 'x'.repeat(5000)), { nil: undefined, freq: 4 }),
    )
    .map(([values, sub, alias]) => {
      const given = args.flatMap((arg, index) => (values[index] === undefined ? [] : [`${arg.name}: ${values[index]}`]));
      return `${alias ? `${alias}: ` : ''}${field.name}${given.length ? `(${given.join(', ')})` : ''} ${sub}`;
    });
}

const rootFields = (type: GraphQLObjectType) => Object.values(type.getFields());

/** A document built from the schema: query or mutation, one to three root fields. */
const schemaDocument: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...rootFields(queryType)), { minLength: 1, maxLength: 3 }).chain((fields) => fc.tuple(...fields.map((field) => fieldCall(field, 2))).map((parts) => `query { ${parts.join(' ')} }`)),
  fc.constantFrom(...rootFields(mutationType)).chain((field) => fieldCall(field, 1).map((part) => `mutation { ${part} }`)),
);

/** Token soup and truncations: syntax errors of every kind. */
const TOKENS = ['{', '}', '(', ')', ':', '$', '...', '@', '"', '"""', 'query', 'mutation', 'subscription', 'fragment', 'on', 'health', 'status', 'session', 'id', '!', '[', ']', '=', '#', ',', '1', '-', '.', '\u0000', '\\u0000', 'ß', '😀', '&', '|'];
const syntaxGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 40 }).map((tokens) => tokens.join(' ')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  schemaDocument.chain((doc) => fc.nat(Math.max(0, doc.length - 2)).map((cut) => doc.slice(0, cut + 1))),
  fc.constantFrom('', ' ', '{', '}', 'query', '{ health { status }', '{ health { status } } }', 'query Q { health { status } } query Q { health { status } }', '{ health { status } } { metrics { runCount } }', 'fragment F on Query { health { status } }', '{ ...F } fragment F on Query { ...F }', 'query ($a: Int, $a: Int) { health { status } }', 'subscription { sessionEvents(sessionId: "x") { __typename } }', '{ __schema { types { name } } }', '{ health @skip(if: "yes") { status } }', '{ health @nope { status } }', 'query @deprecated { health { status } }'),
);

/** Operations with declared variables and variable values of every kind. */
const VARIABLE_TEMPLATES: Array<{ doc: string; name: string }> = [
  { doc: 'query ($id: ID!) { session(id: $id) { id } }', name: 'id' },
  { doc: 'query ($n: Int) { sessions(first: $n) { nodes { id } } }', name: 'n' },
  { doc: 'query ($s: SafeInt) { runTrace(runId: "x", eventsSinceId: $s) { provider } }', name: 's' },
  { doc: 'query ($status: String) { approvals(status: $status) { nodes { id } } }', name: 'status' },
  { doc: 'query ($after: String) { skills(after: $after) { nodes { id } } }', name: 'after' },
  { doc: 'mutation ($input: CreateSessionInput!) { createSession(input: $input) { id } }', name: 'input' },
  { doc: 'mutation ($input: SendTurnInput!) { sendTurn(input: $input) { runId } }', name: 'input' },
  { doc: 'mutation ($input: DecideApprovalInput!) { decideApproval(input: $input) { id } }', name: 'input' },
  { doc: 'mutation ($input: CreateSkillInput!) { createSkill(input: $input) { id } }', name: 'input' },
  { doc: 'mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { id } }', name: 'input' },
  { doc: 'mutation ($input: RunSkillInput!) { runSkill(input: $input) { skillId } }', name: 'input' },
  { doc: 'mutation ($input: TriggerScheduleInput!) { triggerSchedule(input: $input) { skillId } }', name: 'input' },
  { doc: 'query ($x: Strin) { health { status } }', name: 'x' },
  { doc: 'query ($x: [[Int!]!]!) { health { status } }', name: 'x' },
  { doc: 'query ($x: CreateSessionInput) { health { status } }', name: 'x' },
];
/** Variable values as raw JSON texts (deep ones are built as text: JSON.stringify would overflow). */
const variableValue: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .constantFrom<unknown>(2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1.5, '1', '', null, [], {}, [[1]], { sessionId: 'fuzz0unknown', message: 5 }, { sessionId: 'fuzz0unknown', message: 'hi', waitTimeoutSeconds: -1 }, { name: 1 }, { approvalId: 'x', approved: 'yes' })
    .map((value) => JSON.stringify(value)),
  nastyString.map((text) => JSON.stringify(text)),
  fc.oneof(fc.integer({ min: 100, max: 800 }), fc.constant(5000)).map((depth) => `{"metadata": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}, "params": ${'['.repeat(depth)}${']'.repeat(depth)}, "sessionId": null}`),
);

/** Deeper than the depth limit (12), also through fragments; and fragment cycles. */
const deepDocument: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 7, max: 80 }).map((levels) => `{ session(id: "x") ${'{ runs { nodes { session '.repeat(levels)}{ id }${' } } }'.repeat(levels)} }`),
  fc.oneof(fc.integer({ min: 13, max: 400 }), fc.constantFrom(2000, 5000)).map((levels) => `{ health ${'{ status '.repeat(levels)}${'}'.repeat(levels)} }`),
  fc.constant('query { ...A } fragment A on Query { sessions { nodes { runs { nodes { session { ...B } } } } } } fragment B on Session { runs { nodes { session { ...B } } } }'),
  fc.integer({ min: 2, max: 40 }).map((count) => {
    // Fragments that each spread the next twice: exponential if walked naively.
    const fragments = Array.from({ length: count }, (_, index) => `fragment F${index} on Session { id runs(first: 1) { nodes { session { ...F${index + 1} ...F${index + 1} } } } }`);
    return `{ session(id: "x") { ...F0 } } ${fragments.join(' ')} fragment F${count} on Session { id }`;
  }),
);

/** Wide selections, many or huge aliases, page sizes past every limit. */
const wideDocument: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 100, max: 1500 }).map((count) => `{ ${Array.from({ length: count }, (_, index) => `a${index}: health { status }`).join(' ')} }`),
  fc.integer({ min: 1000, max: 20_000 }).map((length) => `{ ${'a'.repeat(length)}: health { status } }`),
  fc.integer({ min: 100, max: 800 }).map((count) => `{ health { ${'status '.repeat(count)}} }`),
  fc.constantFrom(2 ** 31 - 1, 2 ** 31, 10 ** 12, -1, 0, 5000).map((first) => `{ sessions(first: ${first}) { nodes { id runs(first: ${first}) { nodes { id } } } } }`),
  fc.integer({ min: 10, max: 300 }).map((count) => `{ ${Array.from({ length: count }, (_, index) => `s${index}: sessions(first: 100) { nodes { id } }`).join(' ')} }`),
);

/** Input literals nested deeper than any JSON value should be. */
const deepLiteral: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.integer({ min: 50, max: 800 }), fc.constantFrom(3000, 6000)), fc.constantFrom('{ a: ', '['))
  .map(([depth, open]) => `mutation { createSession(input: { metadata: ${open.repeat(depth)}1${(open === '[' ? ']' : ' }').repeat(depth)} }) { id } }`);

interface Envelope {
  kind: string;
  body?: string;
  method?: string;
  query?: string;
  headers?: Record<string, string>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  fc.constantFrom<Envelope>(
    { kind: 'no query', body: '{}' },
    { kind: 'query is a number', body: '{"query": 1}' },
    { kind: 'query is a list', body: '{"query": ["{ health { status } }"]}' },
    { kind: 'query is null', body: '{"query": null}' },
    { kind: 'variables is a string', body: '{"query": "{ health { status } }", "variables": "x"}' },
    { kind: 'variables is a list', body: '{"query": "{ health { status } }", "variables": [1]}' },
    { kind: 'operationName unknown', body: '{"query": "query A { health { status } }", "operationName": "B"}' },
    { kind: 'operationName is a number', body: '{"query": "{ health { status } }", "operationName": 1}' },
    { kind: 'two operations, no name', body: '{"query": "query A { health { status } } query B { health { status } }"}' },
    { kind: 'extensions is a string', body: '{"query": "{ health { status } }", "extensions": "x"}' },
    { kind: 'persisted query hash', body: '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}' },
    { kind: 'batch', body: '[{"query": "{ health { status } }"}]' },
    { kind: 'empty batch', body: '[]' },
    { kind: 'JSON scalar', body: '1' },
    { kind: 'JSON string', body: '"{ health { status } }"' },
    { kind: 'JSON null', body: 'null' },
    { kind: 'empty body', body: '' },
    { kind: 'not JSON', body: '{ health { status } }' },
    { kind: 'truncated JSON', body: '{"query": "{ health' },
    { kind: 'invalid UTF-8 JSON', body: '{"query": "\udcff"}' },
    { kind: 'text/plain', body: '{"query": "{ health { status } }"}', headers: { 'content-type': 'text/plain' } },
    { kind: 'no content-type', body: '{"query": "{ health { status } }"}', headers: {} },
    { kind: 'form content-type', body: 'query=%7B%20health%20%7B%20status%20%7D%20%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { kind: 'graphql content-type', body: '{ health { status } }', headers: { 'content-type': 'application/graphql' } },
    { kind: 'charset latin1', body: '{"query": "{ health { status } }"}', headers: { 'content-type': 'application/json; charset=latin1' } },
    { kind: 'charset utf-16', body: '{"query": "{ health { status } }"}', headers: { 'content-type': 'application/json; charset=utf-16' } },
    { kind: 'gzip that is not', body: '{"query": "{ health { status } }"}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } },
    { kind: 'unknown encoding', body: '{"query": "{ health { status } }"}', headers: { 'content-type': 'application/json', 'content-encoding': 'x-bogus' } },
    { kind: 'GET without preflight', method: 'GET', query: 'query=%7B%20health%20%7B%20status%20%7D%20%7D', headers: {} },
    { kind: 'GET mutation', method: 'GET', query: 'query=mutation%20%7B%20createSession(input%3A%20%7B%7D)%20%7B%20id%20%7D%20%7D', headers: { 'apollo-require-preflight': '1' } },
    { kind: 'GET bad variables', method: 'GET', query: 'query=%7B%20health%20%7B%20status%20%7D%20%7D&variables=%7Bnope', headers: { 'apollo-require-preflight': '1' } },
    { kind: 'GET no query', method: 'GET', query: '', headers: { 'apollo-require-preflight': '1' } },
    { kind: 'PUT', method: 'PUT', body: '{"query": "{ health { status } }"}' },
    { kind: 'DELETE', method: 'DELETE', headers: {} },
  ),
  fc.integer({ min: 300_000, max: 600_000 }).map((length): Envelope => ({ kind: 'oversize', body: JSON.stringify({ query: `{ health { status } } #${'x'.repeat(length)}` }) })),
);

type DocumentKind = 'schema' | 'syntax' | 'variables' | 'deep' | 'wide' | 'deep literal';

const documentProbe: fc.Arbitrary<Probe> = fc
  .oneof(
    { arbitrary: schemaDocument.map((doc) => ({ kind: 'schema' as DocumentKind, doc, variables: undefined as string | undefined })), weight: 4 },
    { arbitrary: syntaxGarbage.map((doc) => ({ kind: 'syntax' as DocumentKind, doc, variables: undefined as string | undefined })), weight: 2 },
    {
      arbitrary: fc.tuple(fc.constantFrom(...VARIABLE_TEMPLATES), variableValue).map(([template, value]) => ({ kind: 'variables' as DocumentKind, doc: template.doc, variables: `{${JSON.stringify(template.name)}: ${value}}` })),
      weight: 2,
    },
    { arbitrary: deepDocument.map((doc) => ({ kind: 'deep' as DocumentKind, doc, variables: undefined as string | undefined })), weight: 1 },
    { arbitrary: wideDocument.map((doc) => ({ kind: 'wide' as DocumentKind, doc, variables: undefined as string | undefined })), weight: 1 },
    { arbitrary: deepLiteral.map((doc) => ({ kind: 'deep literal' as DocumentKind, doc, variables: undefined as string | undefined })), weight: 1 },
  )
  .map(({ kind, doc, variables }) => {
    const body = variables === undefined ? JSON.stringify({ query: doc }) : `{"query": ${JSON.stringify(doc)}, "variables": ${variables}}`;
    return {
      family: `graphql ${kind}`,
      method: 'POST',
      path: '/graphql',
      body,
      headers: JSON_HEADERS,
      expect: Buffer.byteLength(body) > MAX_BODY_BYTES ? [413] : [200, 400],
    } satisfies Probe;
  });

const envelopeProbe: fc.Arbitrary<Probe> = envelope.map((one) => ({
  family: `graphql envelope: ${one.kind}`,
  method: one.method ?? 'POST',
  path: one.query === undefined ? '/graphql' : `/graphql?${one.query}`,
  body: one.body,
  headers: one.headers ?? JSON_HEADERS,
  expect: [200, 400, 404, 405, 413, 415],
}));

test(`${CASES} malformed GraphQL documents and envelopes: errors with a code, never a 5xx`, async () => {
  await fuzz(service, fc.oneof({ arbitrary: documentProbe, weight: 9 }, { arbitrary: envelopeProbe, weight: 1 }), {
    seed: SEED,
    cases: CASES,
    check: graphqlProblem,
    tally,
  });
  await expectAlive(service);
  for (const kind of ['schema', 'syntax', 'variables', 'deep', 'wide', 'deep literal']) expect(tally.counts.get(`graphql ${kind}`) ?? 0).toBeGreaterThan(0);
}, 240_000);
