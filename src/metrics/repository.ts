import type { Database } from '../db/client.js';

export class MetricsRepository {
  constructor(private readonly db: Database) {}

  /** Run counts per status and whether each group is finished, by one aggregate query. */
  async statusCounts(): Promise<Array<{ status: string; finished: boolean; count: number }>> {
    const rows = await this.db.$queryRaw<Array<{ status: string; finished: boolean; count: bigint }>>`
      SELECT status, completed_at IS NOT NULL AS finished, count(*) AS count
      FROM runs GROUP BY status, completed_at IS NOT NULL`;
    return rows.map((row) => ({ status: row.status, finished: row.finished, count: Number(row.count) }));
  }

  /**
   * Lower nearest-rank percentiles of finished runs' latencies, the reference's method:
   * sorted[floor((n - 1) * p)]. Each is one index-ordered OFFSET read, never a scan into memory.
   */
  async latencyPercentiles(finishedCount: number, percentiles: number[]): Promise<number[]> {
    if (finishedCount === 0) return percentiles.map(() => 0);
    return Promise.all(
      percentiles.map(async (p) => {
        const offset = Math.floor((finishedCount - 1) * p);
        const rows = await this.db.$queryRaw<Array<{ latency: number }>>`
          SELECT latency_seconds AS latency FROM runs
          WHERE latency_seconds IS NOT NULL
          ORDER BY latency_seconds OFFSET ${offset} LIMIT 1`;
        return rows[0]?.latency ?? 0;
      }),
    );
  }

  async latencyCount(): Promise<number> {
    const rows = await this.db.$queryRaw<Array<{ count: bigint }>>`SELECT count(*) AS count FROM runs WHERE latency_seconds IS NOT NULL`;
    return Number(rows[0]?.count ?? 0);
  }
}
