// Fuzz: malformed and adversarial JSON bodies for every POST route of the REST table (derived
// from `routes`, so a new route is fuzzed without touching this file). Every answer must be a
// clear 4xx with a JSON `detail` (a non-empty string, or FastAPI's list for 422s), never a 5xx,
// and the service must still answer /health afterwards.
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { routes, type RouteSpec } from '../../../src/server/rest/routes.js';
import type { FieldSpec, FieldType } from '../../../src/server/rest/validation.js';
import { makeHome, startTestService, type TestService } from '../../kit/service.js';
import { deepJson, expectAlive, fillPath, fuzz, NAN_ISH, nastyString, restProblem, routeKey, Tally, type Probe } from './kit.js';

const SEED = 20_261_128;
const CASES = 4000;
const MAX_BODY_BYTES = 65_536;

let service: TestService;
let home: string;
const tally = new Tally();

beforeAll(async () => {
  // Sessions that hostile-but-typed bodies create must stay inside the service home.
  home = await makeHome();
  service = await startTestService({ home, env: { ANTON_SERVICE_MAX_BODY_BYTES: String(MAX_BODY_BYTES), ANTON_WORKSPACES_ROOT: home } });
});
afterAll(async () => {
  await service?.dispose();
  await rm(home, { recursive: true, force: true });
});

const postRoutes = routes.filter((route) => route.method === 'POST');

/** Path parameters of body probes: ids that exist nowhere, so no probe executes anything. */
const UNKNOWN_ID = 'fuzz0unknown';

/** A JSON text that every field type refuses. */
const WRONG_FOR_EVERY_TYPE = ['[]', '[1, "a"]', '[{}]', deepJson(40, 'array')];

/** JSON texts (raw, so that 1e400 and huge ints keep their spelling) that `type` must refuse. */
function wrongValues(spec: FieldSpec): string[] {
  const json = (values: unknown[]): string[] => values.map((value) => JSON.stringify(value));
  const byType: Record<FieldType, string[]> = {
    str: [...json([0, -1, 1.5, true, false, {}, { a: 'b' }]), '1e400', '123456789012345678901234567890'],
    int: [
      ...json(NAN_ISH),
      ...json([1.5, -0.5, '1.5', '', ' ', '1e3', 2 ** 53 + 2, -(2 ** 60), '9007199254740993', {}, { a: 1 }]),
      '1e400',
      '-1e400',
      '123456789012345678901234567890',
      '1.0000000000000001e300',
    ],
    float: [...json(NAN_ISH.filter((text) => !/^[+-]?\d/.test(text) || /[^\d.eE+-]/.test(text))), ...json(['', ' ', 'one', {}, { a: 1 }]), '1e400', '-1e400'],
    bool: json(['maybe', '', ' yes', 'truee', 'yes ', 2, -1, 1.5, 0.5, 'TRUE!', {}, { a: true }]),
    object: json(['x', '{}', 1, -1.5, true, false]),
    dict_str_str: json([{ a: 1 }, { a: true }, { a: {} }, { a: ['x'] }, { a: 'ok', b: 2 }, 'x', 1, true]),
  };
  const values = [...byType[spec.type], ...WRONG_FOR_EVERY_TYPE];
  return spec.nullable ? values : [...values, 'null'];
}

/** A value of the field's own type: the base of a body that is valid but for one thing. */
function validValue(spec: FieldSpec): unknown {
  return { str: 'x', int: 1, float: 1, bool: true, object: {}, dict_str_str: {} }[spec.type];
}

/** Correctly typed but adversarial values: edges of each type and hostile strings. */
function nastyValue(spec: FieldSpec): fc.Arbitrary<unknown> {
  switch (spec.type) {
    case 'str':
      return nastyString;
    case 'int':
      return fc.oneof(
        fc.constantFrom(0, -1, 1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, ' 42 ', '1_000', '-7', '+3', '60.000', true, false, 5.0),
        fc.maxSafeInteger(),
      );
    case 'float':
      return fc.oneof(fc.constantFrom(1e308, -1e308, 5e-324, -0, 0, '1e3', ' .5 ', '5.', '-1_0.5', true), fc.double({ noNaN: true, noDefaultInfinity: true }));
    case 'bool':
      return fc.constantFrom(true, false, 0, 1, 'yes', 'No', 'on', 'OFF', 't', 'f', 'y', 'n', '1', '0', 'TRUE');
    case 'object':
      return fc.oneof(
        fc.object({ maxDepth: 4 }),
        fc.integer({ min: 100, max: 3000 }).map((depth) => JSON.parse(deepJson(depth, 'object')) as unknown),
        fc.constant({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }),
        fc.constant({ auth_context: { user_id: '\u0000', roles: [1, null, 'admin'], attributes: 'x' } }),
      );
    case 'dict_str_str':
      return fc.dictionary(nastyString, nastyString, { maxKeys: 5 });
  }
}

/** Unknown extra fields, some deeply nested: they are ignored, but they travel in 422 inputs. */
const extras: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).map((object) => {
    const text = JSON.stringify(object);
    return text === '{}' ? '' : text.slice(1, -1);
  }),
  fc.integer({ min: 200, max: 5_000 }).map((depth) => `"zz_deep": ${deepJson(depth, 'array')}`),
  fc.integer({ min: 200, max: 5_000 }).map((depth) => `"zz_deep": ${deepJson(depth, 'object')}`),
  nastyString.map((text) => `"zz_nasty": ${JSON.stringify(text)}`),
);

/** `{"a": 1, …}` spliced together from raw member texts. */
const objectText = (members: string[]): string => `{${members.filter((member) => member !== '').join(', ')}}`;
const member = (name: string, raw: string): string => `${JSON.stringify(name)}: ${raw}`;

function baseMembers(route: RouteSpec, except?: string): string[] {
  const shape = route.body?.shape ?? {};
  return Object.entries(shape)
    .filter(([name, spec]) => name !== except && spec.required)
    .map(([name, spec]) => member(name, JSON.stringify(validValue(spec))));
}

const JSON_HEADERS = { 'content-type': 'application/json' };

interface BodyCase {
  kind: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  /** Statuses when the route validates a body. */
  expect: number[];
  expectLoc?: Array<string | number>;
}

/** Texts that are not JSON (Python's json.loads refuses every one). */
const NOT_JSON = [
  "{'a': 1}",
  '{"a": 1,}',
  '[1, 2,]',
  'NaN',
  '{"a": NaN}',
  '{"a": Infinity}',
  '{"a": -Infinity}',
  '// comment\n{}',
  '{"a": 01}',
  '{"a": "\\x41"}',
  '{"a": "\u0001"}',
  '{"a": 1}}',
  '{"a": 1} {"b": 2}',
  '{"a" 1}',
  '{a: 1}',
  '{"a": tru}',
  '{"a": "\\ud800\\"}',
  '{"a": .5}',
  '{"a": 1.}',
  '{"a": +1}',
  '\u0000',
  '   ',
  '\t\n',
  '['.repeat(20_000),
  '{"a":'.repeat(10_000),
  '"unterminated',
];

function bodyCase(route: RouteSpec): fc.Arbitrary<BodyCase> {
  const shape = route.body?.shape ?? {};
  const fields = Object.keys(shape);
  const required = fields.filter((name) => shape[name]!.required);
  const base = objectText(baseMembers(route));
  const cases: Array<fc.Arbitrary<BodyCase>> = [];

  if (fields.length > 0) {
    // One field of a wrong type (possibly given twice, the last one wrong), plus unknown extras.
    cases.push(
      fc
        .constantFrom(...fields)
        .chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...wrongValues(shape[name]!)), extras, fc.boolean()))
        .map(([name, raw, extra, twice]) => ({
          kind: 'wrong type',
          body: objectText([...baseMembers(route, name), ...(twice ? [member(name, JSON.stringify(validValue(shape[name]!)))] : []), member(name, raw), extra]),
          expect: [422],
          expectLoc: ['body', name],
        })),
    );
  }
  if (required.length > 0) {
    cases.push(
      fc.tuple(fc.constantFrom(...required), extras).map(([name, extra]) => ({
        kind: 'missing field',
        body: objectText([...baseMembers(route, name), extra]),
        expect: [422],
        expectLoc: ['body', name],
      })),
    );
  }
  cases.push(
    // Valid JSON that is not an object: arrays where an object is expected, scalars, deep arrays.
    fc
      .oneof(
        fc.constantFrom('[]', '[{}]', `[${base}]`, '1', '-1e400', '"text"', 'true', '0', '"{}"'),
        fc.integer({ min: 200, max: 10_000 }).map((depth) => deepJson(depth, 'array')),
        fc.jsonValue({ maxDepth: 2 }).filter((value) => Array.isArray(value) || (typeof value !== 'object' && value !== null)).map((value) => JSON.stringify(value)),
      )
      .map((body) => ({ kind: 'not an object', body, expect: [422], expectLoc: ['body'] })),
    // Not JSON at all.
    fc
      .oneof(
        fc.constantFrom(...NOT_JSON),
        fc.integer({ min: 1, max: Math.max(1, base.length - 1) }).map((cut) => base.slice(0, cut)),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter((text) => {
          try {
            JSON.parse(text.replace(/^\uFEFF/, ''));
            return false;
          } catch {
            return text.replace(/^\uFEFF/, '') !== '';
          }
        }),
      )
      .map((body) => ({ kind: 'invalid JSON', body, expect: [422], expectLoc: ['body'] })),
    // Bytes that are not UTF-8: Starlette's 400.
    fc
      .tuple(fc.constantFrom([0xff], [0xfe, 0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]), fc.nat(base.length))
      .map(([bad, at]) => {
        const bytes = Buffer.from(base);
        return { kind: 'invalid UTF-8', body: new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)])), expect: [400] };
      }),
    // A JSON body behind a content encoding it does not have (or one nobody supports).
    fc.constantFrom('gzip', 'deflate', 'br', 'x-bogus', 'compress').map((encoding) => ({
      kind: 'bad content-encoding',
      body: base,
      headers: { ...JSON_HEADERS, 'content-encoding': encoding },
      expect: [400, 415],
    })),
  );
  return fc.oneof(...cases);
}

/** Correctly typed but hostile bodies: may succeed (200) or fail as a domain error, never 5xx. */
function nastyCase(route: RouteSpec): fc.Arbitrary<BodyCase> | null {
  const shape = route.body?.shape;
  if (!shape || Object.keys(shape).length === 0) return null;
  const entries = Object.entries(shape);
  return fc
    .tuple(...entries.map(([, spec]) => fc.option(nastyValue(spec), { nil: undefined, freq: 3 })))
    .map((values) => {
      const body: Record<string, unknown> = {};
      entries.forEach(([name, spec], index) => {
        const value = values[index];
        if (value !== undefined) body[name] = value;
        else if (spec.required) body[name] = validValue(spec);
      });
      return { kind: 'hostile but typed', body: JSON.stringify(body), expect: [200, 400, 404, 409] };
    });
}

function probeFor(route: RouteSpec): fc.Arbitrary<Probe> {
  const nasty = nastyCase(route);
  const arbitrary = nasty ? fc.oneof({ arbitrary: bodyCase(route), weight: 4 }, { arbitrary: nasty, weight: 1 }) : bodyCase(route);
  return arbitrary.map((one) => {
    const size = typeof one.body === 'string' ? Buffer.byteLength(one.body) : one.body.byteLength;
    // Routes without a body never read it: their unknown id decides.
    let expected = route.body ? one.expect : [404];
    let expectLoc = route.body ? one.expectLoc : undefined;
    if (route.body && size > MAX_BODY_BYTES && !one.headers?.['content-encoding']) {
      expected = [413];
      expectLoc = undefined;
    } else if (route.body && size > MAX_BODY_BYTES) {
      expected = [...expected, 413];
    }
    if (route.body && !route.body.required && one.kind === 'invalid JSON' && typeof one.body === 'string' && one.body.replace(/^\uFEFF/, '') === '') {
      expected = [404];
    }
    return {
      family: `${routeKey(route)} (${one.kind})`,
      method: route.method,
      path: fillPath(route, () => UNKNOWN_ID),
      body: one.body,
      headers: one.headers ?? JSON_HEADERS,
      expect: expected,
      expectLoc,
    };
  });
}

test(`${CASES} malformed bodies across every POST route: a clear 4xx, never a 5xx`, async () => {
  expect(postRoutes.length).toBeGreaterThan(5);
  await fuzz(service, fc.oneof(...postRoutes.map(probeFor)), { seed: SEED, cases: CASES, check: restProblem, tally });
  await expectAlive(service);
  // Every POST route was fuzzed.
  for (const route of postRoutes) expect([...tally.counts.keys()].some((family) => family.startsWith(routeKey(route) + ' ('))).toBe(true);
  expect(tally.total).toBeGreaterThanOrEqual(CASES);
}, 240_000);
