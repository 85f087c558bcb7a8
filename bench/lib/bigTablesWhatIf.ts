// DIAGNOSTIC "what if" for the big-tables measure: the fix it recommends for GET /metrics, tried
// in the big bench database (never in src/): what a migration would add, and the statements
// MetricsRepository would send instead, timed against the statements it sends today.
//
// Today every /metrics is O(runs): statusCounts is a sequential scan with a GROUP BY,
// latencyCount an index-only scan of every finished run, and each percentile an index-only walk
// of OFFSET floor((n − 1) p) entries. The fix keeps the numbers exact:
//
// - run_status_counts(status, finished, count): a trigger on runs keeps it current in the same
//   transaction as every insert, status change and delete, so statusCounts reads ≤ 12 rows;
// - run_latency_buckets(bucket, count): the same trigger counts finished runs per 100-ms latency
//   bucket; latencyCount is their sum, and a percentile first finds the bucket that holds rank
//   k (a window sum over a few thousand rows), then reads the exact value with the existing
//   index: WHERE latency_seconds >= bucket/10 ORDER BY latency_seconds OFFSET (k − before)
//   LIMIT 1, an index walk of at most one bucket's runs instead of k.
//
// (The counter rows are updated by every run insert and completion: under heavy concurrent run
// creation they would be a hot row; spread them over a few slots, e.g. slot = hashtext(id) % 8,
// and sum on read, if that ever shows.)
import type pg from 'pg';
import { rounded, summarize, type Summary } from './stats.js';

export interface WhatIfReport {
  /** DDL the migration would run, and how long creating + backfilling took here. */
  migration: { sql: string; ms: number };
  /** Server round trips (ms) of today's statements and the replacements, same database, same moment. */
  today: Record<string, Summary>;
  fixed: Record<string, Summary>;
  /** The replacements answer exactly what today's statements answer. */
  sameAnswers: boolean;
  answers: { today: unknown; fixed: unknown };
  explainFixedPercentile: string[];
}

export interface WhatIfOptions {
  metrics: boolean;
  events: boolean;
  log: (message: string) => void;
  repetitions?: number;
}

export const MIGRATION_SQL = `
CREATE TABLE run_status_counts (
  status   TEXT    NOT NULL,
  finished BOOLEAN NOT NULL,
  count    BIGINT  NOT NULL DEFAULT 0,
  CONSTRAINT run_status_counts_pkey PRIMARY KEY (status, finished)
);
CREATE TABLE run_latency_buckets (
  bucket INTEGER NOT NULL,
  count  BIGINT  NOT NULL DEFAULT 0,
  CONSTRAINT run_latency_buckets_pkey PRIMARY KEY (bucket)
);
-- The 100-ms bucket of a latency, consistent with the read's "latency_seconds >= bucket / 10.0".
CREATE FUNCTION run_latency_bucket(latency DOUBLE PRECISION) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN latency < floor(latency * 10) / 10.0 THEN floor(latency * 10)::int - 1 ELSE floor(latency * 10)::int END
$$;
CREATE FUNCTION runs_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE run_status_counts SET count = count - 1 WHERE status = OLD.status AND finished = (OLD.completed_at IS NOT NULL);
    IF OLD.latency_seconds IS NOT NULL THEN
      UPDATE run_latency_buckets SET count = count - 1 WHERE bucket = run_latency_bucket(OLD.latency_seconds);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO run_status_counts AS c (status, finished, count) VALUES (NEW.status, NEW.completed_at IS NOT NULL, 1)
      ON CONFLICT (status, finished) DO UPDATE SET count = c.count + 1;
    IF NEW.latency_seconds IS NOT NULL THEN
      INSERT INTO run_latency_buckets AS b (bucket, count) VALUES (run_latency_bucket(NEW.latency_seconds), 1)
        ON CONFLICT (bucket) DO UPDATE SET count = b.count + 1;
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_count_insert_delete AFTER INSERT OR DELETE ON runs FOR EACH ROW EXECUTE FUNCTION runs_count_changes();
CREATE TRIGGER runs_count_update AFTER UPDATE OF status, completed_at, latency_seconds ON runs FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR (OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)
        OR OLD.latency_seconds IS DISTINCT FROM NEW.latency_seconds)
  EXECUTE FUNCTION runs_count_changes();
-- Backfill (in the migration's transaction, so no change slips between it and the trigger).
INSERT INTO run_status_counts (status, finished, count)
  SELECT status, completed_at IS NOT NULL, count(*) FROM runs GROUP BY 1, 2;
INSERT INTO run_latency_buckets (bucket, count)
  SELECT run_latency_bucket(latency_seconds), count(*) FROM runs WHERE latency_seconds IS NOT NULL GROUP BY 1;
`;

const TODAY = {
  statusCounts: 'SELECT status, completed_at IS NOT NULL AS finished, count(*) AS count FROM runs GROUP BY status, completed_at IS NOT NULL',
  latencyCount: 'SELECT count(*) AS count FROM runs WHERE latency_seconds IS NOT NULL',
  percentile: 'SELECT latency_seconds AS latency FROM runs WHERE latency_seconds IS NOT NULL ORDER BY latency_seconds OFFSET $1 LIMIT 1',
};

const FIXED = {
  statusCounts: 'SELECT status, finished, count FROM run_status_counts WHERE count <> 0',
  latencyCount: 'SELECT coalesce(sum(count), 0)::bigint AS count FROM run_latency_buckets',
  // $1 = k = floor((n − 1) p), 0-based rank.
  percentile: `
    WITH cumulative AS (SELECT bucket, count, sum(count) OVER (ORDER BY bucket) AS upto FROM run_latency_buckets),
         holding AS (SELECT bucket, upto - count AS before FROM cumulative WHERE upto > $1 ORDER BY bucket LIMIT 1)
    SELECT (SELECT latency_seconds FROM runs WHERE latency_seconds >= holding.bucket / 10.0
            ORDER BY latency_seconds OFFSET $1 - holding.before LIMIT 1) AS latency
    FROM holding`,
};

const PERCENTILES = [0.5, 0.95, 0.99];

async function timeQuery(client: pg.Client, sql: string, values: unknown[], repetitions: number): Promise<{ ms: Summary; rows: unknown[] }> {
  const durations: number[] = [];
  let rows: unknown[] = [];
  for (let index = 0; index < repetitions; index++) {
    const at = performance.now();
    rows = (await client.query(sql, values)).rows;
    durations.push(performance.now() - at);
  }
  return { ms: rounded(summarize(durations)), rows };
}

export async function bigTablesWhatIf(client: pg.Client, options: WhatIfOptions): Promise<WhatIfReport | undefined> {
  if (!options.metrics) return undefined;
  const repetitions = options.repetitions ?? 20;
  options.log('what-if: installing run_status_counts / run_latency_buckets (trigger + backfill) in the big database');
  const at = performance.now();
  await client.query(`BEGIN; ${MIGRATION_SQL} COMMIT;`);
  const migrationMs = Math.round(performance.now() - at);
  await client.query('ANALYZE run_status_counts, run_latency_buckets');

  const today: Record<string, Summary> = {};
  const fixed: Record<string, Summary> = {};
  const todayAnswers: Record<string, unknown> = {};
  const fixedAnswers: Record<string, unknown> = {};
  const sortRows = (rows: unknown[]): string =>
    JSON.stringify((rows as Array<{ status: string; finished: boolean; count: string }>).map((row) => `${row.status}/${row.finished}/${row.count}`).sort());
  for (const [kind, variant, store, answers] of [
    ['today', TODAY, today, todayAnswers],
    ['fixed', FIXED, fixed, fixedAnswers],
  ] as const) {
    const counts = await timeQuery(client, variant.statusCounts, [], repetitions);
    store.statusCounts = counts.ms;
    answers.statusCounts = sortRows(counts.rows);
    const latencyCount = await timeQuery(client, variant.latencyCount, [], repetitions);
    store.latencyCount = latencyCount.ms;
    const n = Number((latencyCount.rows[0] as { count: string }).count);
    answers.latencyCount = n;
    for (const p of PERCENTILES) {
      const k = Math.floor((n - 1) * p);
      const result = await timeQuery(client, variant.percentile, [k], repetitions);
      store[`p${p * 100}`] = result.ms;
      answers[`p${p * 100}`] = (result.rows[0] as { latency: number } | undefined)?.latency ?? null;
    }
    options.log(`what-if ${kind}: ${Object.entries(store).map(([name, summary]) => `${name} p50 ${summary.p50.toFixed(2)} ms`).join(', ')}`);
  }
  const sameAnswers = JSON.stringify(todayAnswers) === JSON.stringify(fixedAnswers);
  const n = Number(todayAnswers.latencyCount);
  const explain = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${FIXED.percentile}`, [Math.floor((n - 1) * 0.99)]);
  return {
    migration: { sql: MIGRATION_SQL.trim(), ms: migrationMs },
    today,
    fixed,
    sameAnswers,
    answers: { today: todayAnswers, fixed: fixedAnswers },
    explainFixedPercentile: explain.rows.map((row) => row['QUERY PLAN']),
  };
}
