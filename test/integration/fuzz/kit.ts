// Shared pieces of the fuzz suites: raw HTTP probes, the "clear 4xx" checks, and a way to run
// fast-check with modest concurrency. Each fast-check run sends a batch of BATCH probes at once,
// so fast-check keeps its fixed seed, its failure report (seed, path, counterexample) and its
// shrinking, while the service sees several requests in flight.
import fc from 'fast-check';
import type { TestService } from '../../kit/service.js';
import type { RouteSpec } from '../../../src/server/rest/routes.js';

/** Requests in flight at once: modest, for a busy 2-CPU machine. */
export const BATCH = 8;

/** One request the fuzzer sends. `path` is sent as is (already percent-encoded). */
export interface Probe {
  /** The route family, for counting. */
  family: string;
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Statuses this probe may answer; any 5xx is always a failure. */
  expect: readonly number[];
  /** For 422s: a loc the detail must contain (e.g. ['body', 'message']). */
  expectLoc?: ReadonlyArray<string | number>;
}

export interface Answer {
  status: number;
  text: string;
  json: unknown;
  contentType: string;
}

export async function send(service: Pick<TestService, 'url'>, probe: Probe): Promise<Answer> {
  const response = await fetch(service.url + probe.path, {
    method: probe.method,
    headers: probe.headers,
    body: probe.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, contentType: response.headers.get('content-type') ?? '' };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A FastAPI-style 422 item: type, loc, msg (and input, which may be anything). */
function isValidationItem(item: unknown): boolean {
  return (
    isRecord(item) &&
    typeof item.type === 'string' &&
    item.type !== '' &&
    Array.isArray(item.loc) &&
    item.loc.length > 0 &&
    item.loc.every((part) => typeof part === 'string' || typeof part === 'number') &&
    typeof item.msg === 'string' &&
    item.msg !== '' &&
    'input' in item
  );
}

/** Why a REST answer is not acceptable for the probe, or null when it is. */
export function restProblem(probe: Probe, answer: Answer): string | null {
  if (answer.status >= 500) return `server error ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (!probe.expect.includes(answer.status)) return `status ${answer.status} not in [${probe.expect.join(', ')}]: ${answer.text.slice(0, 500)}`;
  if (answer.status < 400) return null;
  if (!isRecord(answer.json)) return `a ${answer.status} without a JSON object body: ${JSON.stringify(answer.text.slice(0, 300))}`;
  const detail = answer.json.detail;
  if (typeof detail === 'string') {
    if (detail.trim() === '') return `an empty detail`;
    if (answer.status === 422) return 'a 422 whose detail is a string, not a list of items';
    return null;
  }
  if (!Array.isArray(detail) || detail.length === 0 || !detail.every(isValidationItem)) {
    return `detail is neither a non-empty string nor a FastAPI list: ${answer.text.slice(0, 500)}`;
  }
  if (answer.status !== 422) return `a list detail with status ${answer.status}`;
  if (probe.expectLoc) {
    const wanted = JSON.stringify(probe.expectLoc);
    const found = detail.some((item) => JSON.stringify((item as { loc: unknown[] }).loc.slice(0, probe.expectLoc!.length)) === wanted);
    if (!found) return `no 422 item at loc ${wanted}: ${answer.text.slice(0, 500)}`;
  }
  return null;
}

/** Why a GraphQL-over-HTTP answer is not acceptable, or null. */
export function graphqlProblem(probe: Probe, answer: Answer): string | null {
  if (answer.status >= 500) return `server error ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (!probe.expect.includes(answer.status)) return `status ${answer.status} not in [${probe.expect.join(', ')}]: ${answer.text.slice(0, 500)}`;
  if (!isRecord(answer.json)) return `a ${answer.status} without a JSON object body: ${JSON.stringify(answer.text.slice(0, 300))}`;
  const errors = answer.json.errors;
  if (errors === undefined) {
    if (answer.status >= 400) return `a ${answer.status} without errors`;
    return 'data' in answer.json ? null : 'neither data nor errors';
  }
  if (!Array.isArray(errors) || errors.length === 0) return `errors is not a non-empty list: ${answer.text.slice(0, 300)}`;
  for (const error of errors) {
    if (!isRecord(error) || typeof error.message !== 'string' || error.message === '') return `an error without a message: ${JSON.stringify(error).slice(0, 300)}`;
    const code = isRecord(error.extensions) ? error.extensions.code : undefined;
    if (typeof code !== 'string' || code === '') return `an error without extensions.code: ${JSON.stringify(error).slice(0, 300)}`;
    if (code === 'INTERNAL_SERVER_ERROR') return `an internal error: ${JSON.stringify(error).slice(0, 300)}`;
  }
  return null;
}

/** A short, printable rendering of a probe body for failure messages. */
export function describeBody(body: Probe['body']): string {
  if (body === undefined) return '(none)';
  const text = typeof body === 'string' ? body : `bytes ${Buffer.from(body).toString('hex')}`;
  return JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text);
}

export type Checker = (probe: Probe, answer: Answer) => string | null;

/** Tally of probes sent, per family. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(family: string): void {
    this.counts.set(family, (this.counts.get(family) ?? 0) + 1);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  toString(): string {
    return [...this.counts.entries()].map(([family, count]) => `${family}: ${count}`).join(', ');
  }
}

/**
 * Sends `runs` batches of BATCH probes drawn from `probe` (fixed seed) and checks every answer;
 * fast-check reports the seed and the shrunk counterexample on failure.
 */
export async function fuzz(
  service: Pick<TestService, 'url'>,
  probe: fc.Arbitrary<Probe>,
  options: { seed: number; cases: number; check: Checker; tally: Tally },
): Promise<void> {
  const runs = Math.ceil(options.cases / BATCH);
  await fc.assert(
    fc.asyncProperty(fc.array(probe, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const answers = await Promise.all(batch.map((one) => send(service, one)));
      batch.forEach((one, index) => {
        options.tally.add(one.family);
        const problem = options.check(one, answers[index]!);
        if (problem !== null) throw new Error(`${one.method} ${one.path.slice(0, 300)} with body ${describeBody(one.body)}: ${problem}`);
      });
    }),
    { seed: options.seed, numRuns: runs, endOnFailure: true, interruptAfterTimeLimit: 220_000, markInterruptAsFailure: true },
  );
}

/** The service still answers /health. */
export async function expectAlive(service: Pick<TestService, 'url'>): Promise<void> {
  const response = await fetch(service.url + '/health');
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
}

/** `{param}` names of a route path, in order. */
export const paramsOf = (route: RouteSpec): string[] => [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);

/** The route path with each `{param}` replaced by `value(name)` (already encoded). */
export const fillPath = (route: RouteSpec, value: (name: string) => string): string => route.path.replace(/\{(\w+)\}/g, (_all, name: string) => value(name));

export const routeKey = (route: RouteSpec): string => `${route.method} ${route.path}`;

// ---------------------------------------------------------------------------------------------
// Value pools shared by the generators
// ---------------------------------------------------------------------------------------------

/** Strings that look like numbers but are not ints or floats any parser should accept. */
export const NAN_ISH = ['NaN', 'nan', '-NaN', 'Infinity', '-Infinity', 'inf', '+inf', '1e999', '-1e999', '0x10', '0b1', '0o7', '1_', '_1', '1__0', '1.5.5', '--1', '+-1', '1e', 'e1', '.', '-', '+', '١٢٣', '１２', '1,000', '1 000', 'null', 'undefined', 'true', '[]', '{}'];

/** Unicode and control-character strings: NUL, bidi overrides, astral characters, combining marks. */
export const NASTY_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\u202Eevil',
  '😀'.repeat(50),
  'e\u0301\u0301\u0301',
  '\uFEFF',
  '\r\n\t\v\f',
  '"; DROP TABLE sessions; --',
  "' OR '1'='1",
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '\\..\\..\\',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
];

export const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 1_000, max: 80_000 }).map((length) => 'x'.repeat(length)),
);

/** A JSON value nested `depth` levels deep (arrays or objects). */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}
