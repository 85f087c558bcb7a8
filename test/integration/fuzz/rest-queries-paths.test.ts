// Fuzz: query strings of every GET route and path parameters of every route in the REST table
// (derived from `routes`). Bad integers must be FastAPI 422s at their `loc`; everything else a
// clear answer (200 for a list, a 4xx with a JSON `detail` otherwise), never a 5xx.
import fc from 'fast-check';
import { routes, type RouteSpec } from '../../../src/server/rest/routes.js';
import type { FieldSpec } from '../../../src/server/rest/validation.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { expectAlive, fillPath, fuzz, NAN_ISH, nastyString, paramsOf, restProblem, routeKey, Tally, type Probe } from './kit.js';

const SEED = 4_242_001;
const QUERY_CASES = 2500;
const PATH_CASES = 1500;

let service: TestService;
const queryTally = new Tally();
const pathTally = new Tally();

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service?.dispose());

const UNKNOWN_ID = 'fuzz0unknown';

// ---------------------------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------------------------

/** Query values an int parameter must refuse (as the raw text after decoding). */
const BAD_INTS = [...NAN_ISH, '', ' ', '1.5', '-0.5', '1e3', '9007199254740993', '99999999999999999999999', '-99999999999999999999999', '1.0e0', '0x1F', '\u0000', '1\u00002', '١', '%', 'abc', '[]', '12abc', ' 1 2 '];

/** Query values an int parameter accepts (pydantic's lax integer strings). */
const GOOD_INTS = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom('0', '-0', '+5', ' 7 ', '1_000', '60.0', '60.000', String(Number.MAX_SAFE_INTEGER), String(Number.MIN_SAFE_INTEGER), String(2 ** 31), String(-(2 ** 31) - 1)),
);

interface QueryValue {
  text: string;
  /** Whether an int parameter must refuse it. */
  badInt: boolean;
}

function queryValue(spec: FieldSpec): fc.Arbitrary<QueryValue> {
  if (spec.type === 'int') {
    return fc.oneof(
      fc.constantFrom(...BAD_INTS).map((text) => ({ text, badInt: true })),
      GOOD_INTS.map((text) => ({ text, badInt: false })),
    );
  }
  // A string parameter takes anything; statuses, cursors and ids that mean nothing are 200/400/404.
  return fc
    .oneof(nastyString.map((text) => text.slice(0, 3000)), fc.constantFrom('pending', 'approved', 'rejected', 'active', 'paused', 'PENDING', '', 'eyJ4IjoxfQ', 'bm9wZQ==', '!!!', 'null'))
    .map((text) => ({ text, badInt: false }));
}

/** Encodes like a browser would, except that some raw `%` sequences are sent undecoded on purpose. */
const encodeValue = (text: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '?')),
    encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '?')).replace(/%20/g, '+'),
  );

function queryProbe(route: RouteSpec): fc.Arbitrary<Probe> {
  const shape = route.query ?? {};
  const names = Object.keys(shape);
  const param = (name: string): fc.Arbitrary<{ name: string; values: QueryValue[]; encoded: string[] }> =>
    fc
      .array(queryValue(shape[name]!), { minLength: 1, maxLength: 3 })
      .chain((values) => fc.tuple(fc.constant(values), fc.tuple(...values.map((value) => encodeValue(value.text)))))
      .map(([values, encoded]) => ({ name, values, encoded }));
  const noise = fc.array(
    fc.oneof(
      fc.constantFrom('x=1', 'limit[]=1', 'limit[a]=2', '=', '&', '%ZZ=%ZZ', 'a=%00', '%00=a', 'since_id', 'status', ';', 'a=b=c', '__proto__=1', 'constructor[prototype]=1'),
      fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([key, value]) => `${encodeURIComponent(key.replace(/[\uD800-\uDFFF]/g, ''))}=${encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, ''))}`),
    ),
    { maxLength: 3 },
  );
  return fc.tuple(fc.subarray(names), noise, fc.boolean()).chain(([chosen, extra, noiseFirst]) =>
    (chosen.length > 0 ? fc.tuple(...chosen.map(param)) : fc.constant([] as Array<{ name: string; values: QueryValue[]; encoded: string[] }>)).map((params) => {
      const parts = params.flatMap((one) => one.encoded.map((text) => `${encodeURIComponent(one.name)}=${text}`));
      const query = (noiseFirst ? [...extra, ...parts] : [...parts, ...extra]).join('&');
      // The last occurrence of a parameter counts (Starlette). Noise such as `limit[a]=2` or a
      // bare `since_id` can also set a parameter: then anything but a 5xx is accepted.
      const noiseTouches = extra.some((piece) => names.some((name) => piece === name || piece.startsWith(`${name}=`) || piece.startsWith(`${name}[`)));
      const bad = params.filter((one) => shape[one.name]!.type === 'int' && one.values[one.values.length - 1]!.badInt);
      const hasPathId = route.path.includes('{');
      let expected: number[];
      let expectLoc: Array<string | number> | undefined;
      if (noiseTouches) expected = [200, 400, 404, 422];
      else if (bad.length > 0) {
        expected = [422];
        expectLoc = ['query', bad[0]!.name];
      } else expected = hasPathId ? [404] : [200, 400];
      return {
        family: `${routeKey(route)} ?query`,
        method: 'GET',
        path: `${fillPath(route, () => UNKNOWN_ID)}?${query}`,
        expect: expected,
        expectLoc,
      } satisfies Probe;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Path parameters
// ---------------------------------------------------------------------------------------------

/** Path segments, already encoded as they go on the wire. */
const segment: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%2F', 'a%2Fb', '%2f..%2f', '%2e%2e', '%2E', '..', '.', '%00', 'a%00b', '%ZZ', '%', '%F', '%FF', '%C3%28', '%ED%A0%80', '%E2%98%83',
        '%F0%9F%98%80', ';x', 'a;b=c', '%3F', '%23', '~', '%252F', '%25', '*', '$', ',', "'", '%27%20OR%201%3D1', '%22', '%5C', '%5C..%5C', '%0A', '%0D%0A', '%09',
        '%E2%80%AE', 'CON', 'nul', '-1', '0', '9007199254740993', '1e400', '__proto__', 'constructor', 'toString', 'fuzz0unknown',
      ),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((text) => encodeURIComponent(text)),
      fc.integer({ min: 200, max: 2500 }).map((length) => 'x'.repeat(length)),
      fc.integer({ min: 50, max: 600 }).map((length) => '%E2%98%83'.repeat(length)),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((pieces) => pieces.join(''));

/** A body that passes validation, so that the path decides the answer. */
function validBody(route: RouteSpec): string | undefined {
  if (!route.body) return undefined;
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(route.body.shape)) {
    if (spec.required) values[name] = { str: 'x', int: 1, float: 1, bool: true, object: {}, dict_str_str: {} }[spec.type];
  }
  return JSON.stringify(values);
}

function pathProbe(route: RouteSpec): fc.Arbitrary<Probe> {
  const names = paramsOf(route);
  return fc.tuple(...names.map(() => segment)).map((values) => ({
    family: `${routeKey(route)} /path`,
    method: route.method,
    path: fillPath(route, (name) => values[names.indexOf(name)]!),
    body: validBody(route),
    headers: route.body ? { 'content-type': 'application/json' } : undefined,
    // Dot segments are resolved by the client, so a path may land on another route (or none).
    expect: [200, 400, 404, 405, 409, 422],
  }));
}

test(`${QUERY_CASES} query strings across every GET route with query parameters`, async () => {
  const withQuery = routes.filter((route) => route.method === 'GET' && route.query);
  expect(withQuery.length).toBeGreaterThan(5);
  await fuzz(service, fc.oneof(...withQuery.map(queryProbe)), { seed: SEED, cases: QUERY_CASES, check: restProblem, tally: queryTally });
  await expectAlive(service);
  for (const route of withQuery) expect(queryTally.counts.get(`${routeKey(route)} ?query`) ?? 0).toBeGreaterThan(0);
}, 240_000);

test(`${PATH_CASES} path parameters across every route with parameters`, async () => {
  const withParams = routes.filter((route) => paramsOf(route).length > 0);
  expect(withParams.length).toBeGreaterThan(10);
  await fuzz(service, fc.oneof(...withParams.map(pathProbe)), { seed: SEED + 1, cases: PATH_CASES, check: restProblem, tally: pathTally });
  await expectAlive(service);
  for (const route of withParams) expect(pathTally.counts.get(`${routeKey(route)} /path`) ?? 0).toBeGreaterThan(0);
}, 240_000);
