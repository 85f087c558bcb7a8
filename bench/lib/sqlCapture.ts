// Every SQL statement the service sends through `pg` while a capture is on (Prisma's adapter and
// $queryRaw both end in pg.Client#query): its text, the values of its first call and the
// durations, so that a measure can say which statements a request costs and replay them under
// EXPLAIN ANALYZE with the very values the service used. Nothing in src/ changes.
import type pg from 'pg';
import { hookPgQueries } from './pgQueryHook.js';
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

export function captureSql(): SqlCapture {
  const byText = new Map<string, CapturedStatement>();
  const order: string[] = [];
  const unhook = hookPgQueries((args) => {
    const first = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    if (typeof text !== 'string') return null;
    const values = (typeof first === 'object' ? first.values : Array.isArray(args[1]) ? args[1] : undefined) ?? [];
    const sql = text.replace(/\s+/g, ' ').trim();
    order.push(sql);
    const started = performance.now();
    return () => {
      let entry = byText.get(sql);
      if (!entry) byText.set(sql, (entry = { sql, values: [...values], variants: [], durationsMs: [] }));
      if (entry.variants.length < 4 && !entry.variants.some((known) => same(known, values))) entry.variants.push([...values]);
      entry.durationsMs.push(performance.now() - started);
    };
  });
  let stopped = false;
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
      unhook();
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
