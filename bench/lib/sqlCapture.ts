// Every SQL statement the service sends through `pg` while a capture is on (Prisma's adapter and
// $queryRaw both end in pg.Client#query): its text, the values of its first call and the
// durations, so that a measure can say which statements a request costs and replay them under
// EXPLAIN ANALYZE with the very values the service used. Nothing in src/ changes.
import pg from 'pg';
import { rounded, summarize, type Summary } from './stats.js';

export interface CapturedStatement {
  /** The SQL text, whitespace collapsed. */
  sql: string;
  /** The parameters of its first call (as the driver got them). */
  values: unknown[];
  /** Up to four distinct parameter lists it was called with (e.g. each percentile's OFFSET). */
  variants: unknown[][];
  durationsMs: number[];
}

export interface SqlCapture {
  /** Forgets what was captured so far (e.g. after a warm-up). */
  reset(): void;
  /** Every statement's text (whitespace collapsed), in the order sent: what one request costs in round trips. */
  sequence(): string[];
  statements(): CapturedStatement[];
  summary(): Array<{ sql: string } & Summary>;
  stop(): void;
}

type QueryFn = (...args: unknown[]) => unknown;

export function captureSql(): SqlCapture {
  const byText = new Map<string, CapturedStatement>();
  const order: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  let stopped = false;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    if (stopped || typeof text !== 'string') return original.apply(this, args);
    const values = (typeof first === 'object' ? first.values : Array.isArray(args[1]) ? args[1] : undefined) ?? [];
    order.push(text.replace(/\s+/g, ' ').trim());
    const started = performance.now();
    const record = (): void => {
      const sql = text.replace(/\s+/g, ' ').trim();
      let entry = byText.get(sql);
      if (!entry) byText.set(sql, (entry = { sql, values: [...values], variants: [], durationsMs: [] }));
      if (entry.variants.length < 4 && !entry.variants.some((known) => same(known, values))) entry.variants.push([...values]);
      entry.durationsMs.push(performance.now() - started);
    };
    // pg.Pool#query calls the client with a callback; Prisma's transactions await a promise.
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...a: unknown[]) => unknown;
      args[last] = (...cbArgs: unknown[]) => {
        record();
        return callback(...cbArgs);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(record, record);
    return result;
  };
  return {
    reset: () => {
      byText.clear();
      order.length = 0;
    },
    sequence: () => [...order],
    statements: () => [...byText.values()],
    summary: () =>
      [...byText.values()]
        .map((entry) => ({ sql: entry.sql, ...rounded(summarize(entry.durationsMs)) }))
        .sort((a, b) => b.count * b.mean - a.count * a.mean),
    stop: () => {
      if (stopped) return;
      stopped = true;
      proto.query = original;
    },
  };
}

/** EXPLAIN (ANALYZE, BUFFERS) of a read-only statement with the given values, as text lines. */
export async function explainAnalyze(client: pg.Client, sql: string, values: unknown[]): Promise<string[]> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, values.map(plain));
  return rows.map((row) => row['QUERY PLAN']);
}

function same(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((value, index) => String(value) === String(b[index]));
}

function plain(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
