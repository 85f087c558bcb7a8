import type { Database } from '../db/client.js';

/**
 * Reads the run counters that triggers on `runs` keep current (migration metrics_counters), so a
 * request costs the same with a thousand runs as with millions:
 *
 * - run_status_counts: signed counts of runs per (status, finished), summed per key;
 * - run_latency_buckets: signed counts of finished runs per 100-ms latency bucket; bucket b holds
 *   exactly the runs with latency_seconds >= run_latency_bucket_start(b) and
 *   < run_latency_bucket_start(b + 1).
 *
 * Triggers only append rows; `compact` folds them into one row per key so the sums stay short.
 *
 * The answers are those of the full scans they replace (GROUP BY over runs, count of latencies,
 * ORDER BY latency_seconds OFFSET k).
 */
export class MetricsRepository {
  constructor(private readonly db: Database) {}

  /** Run counts per status and whether each group is finished (rows summed; empty groups left out). */
  async statusCounts(): Promise<Array<{ status: string; finished: boolean; count: number }>> {
    const rows = await this.db.$queryRaw<Array<{ status: string; finished: boolean; count: bigint }>>`
      SELECT status, finished, sum(count)::bigint AS count
      FROM run_status_counts
      GROUP BY status, finished
      HAVING sum(count) <> 0`;
    return rows.map((row) => ({ status: row.status, finished: row.finished, count: Number(row.count) }));
  }

  /**
   * Lower nearest-rank percentiles of finished runs' latencies, the reference's method:
   * sorted[floor((n - 1) * p)], all in one statement. For each 0-based rank k the running sum of
   * the buckets finds the bucket that holds it and how many runs lie below that bucket; the value
   * is then read from the latency index, walking only within that bucket.
   */
  async latencyPercentiles(finishedCount: number, percentiles: number[]): Promise<number[]> {
    if (finishedCount === 0) return percentiles.map(() => 0);
    const ranks = percentiles.map((p) => Math.floor((finishedCount - 1) * p));
    const rows = await this.db.$queryRaw<Array<{ ord: bigint; latency: number | null }>>`
      WITH cumulative AS MATERIALIZED (
        SELECT bucket, count, sum(count) OVER (ORDER BY bucket) AS upto
        FROM (SELECT bucket, sum(count) AS count FROM run_latency_buckets GROUP BY bucket HAVING sum(count) > 0) AS buckets)
      SELECT wanted.ord, (
          SELECT latency_seconds FROM runs
          WHERE latency_seconds >= run_latency_bucket_start(holding.bucket)
          ORDER BY latency_seconds
          OFFSET wanted.k - holding.below LIMIT 1) AS latency
      FROM unnest(${ranks}::bigint[]) WITH ORDINALITY AS wanted(k, ord)
      LEFT JOIN LATERAL (
        SELECT bucket, upto - count AS below FROM cumulative
        WHERE upto > wanted.k ORDER BY bucket LIMIT 1) AS holding ON true
      ORDER BY wanted.ord`;
    // A rank past the end (runs deleted between the count and this read) reads as 0, as before.
    return ranks.map((_, index) => rows[index]?.latency ?? 0);
  }

  /** Folds the counter rows into one per key (safe beside writers, readers and other processes). */
  async compact(): Promise<void> {
    await this.db.$executeRaw`SELECT run_counters_compact()`;
  }

  /** Finished runs (those with a latency). */
  async latencyCount(): Promise<number> {
    const rows = await this.db.$queryRaw<Array<{ count: bigint }>>`SELECT coalesce(sum(count), 0)::bigint AS count FROM run_latency_buckets`;
    return Number(rows[0]?.count ?? 0);
  }
}
