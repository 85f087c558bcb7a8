// The run counters behind GET /metrics (migration metrics_counters): triggers on runs keep
// run_status_counts and run_latency_buckets equal to a fresh scan of runs through every kind of
// change, and MetricsService answers from them exactly what the full-scan queries it replaced
// answer (GROUP BY over runs, ORDER BY latency_seconds OFFSET floor((n - 1) p)).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createConnections, type Connections, type Database } from '../../../src/db/client.js';
import { applyMigrations, defaultMigrationsDir, readMigrations } from '../../../src/db/migrations.js';
import { MetricsRepository } from '../../../src/metrics/repository.js';
import { MetricsService } from '../../../src/metrics/service.js';
import { RunRepository } from '../../../src/runs/repository.js';
import { createEmptyDatabase, createTestDatabase, withClient, type TestDatabase } from '../../kit/db.js';

/** The queries GET /metrics sent before the counters: whole-table scans, the reference answers. */
class FullScanMetricsRepository {
  constructor(private readonly db: Database) {}

  async statusCounts(): Promise<Array<{ status: string; finished: boolean; count: number }>> {
    const rows = await this.db.$queryRaw<Array<{ status: string; finished: boolean; count: bigint }>>`
      SELECT status, completed_at IS NOT NULL AS finished, count(*) AS count
      FROM runs GROUP BY status, completed_at IS NOT NULL`;
    return rows.map((row) => ({ status: row.status, finished: row.finished, count: Number(row.count) }));
  }

  async latencyPercentiles(finishedCount: number, percentiles: number[]): Promise<number[]> {
    if (finishedCount === 0) return percentiles.map(() => 0);
    const values: number[] = [];
    for (const p of percentiles) {
      const offset = Math.floor((finishedCount - 1) * p);
      const rows = await this.db.$queryRaw<Array<{ latency: number }>>`
        SELECT latency_seconds AS latency FROM runs WHERE latency_seconds IS NOT NULL
        ORDER BY latency_seconds OFFSET ${offset} LIMIT 1`;
      values.push(rows[0]?.latency ?? 0);
    }
    return values;
  }

  async latencyCount(): Promise<number> {
    const rows = await this.db.$queryRaw<Array<{ count: bigint }>>`SELECT count(*) AS count FROM runs WHERE latency_seconds IS NOT NULL`;
    return Number(rows[0]?.count ?? 0);
  }
}

/** The double just above / below x (x finite). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 ? 1n : -1n));
  return view.getFloat64(0);
}
const nextDown = (x: number): number => -nextUp(-x);

const INT_MAX = 2147483647;

let database: TestDatabase;
let connections: Connections;
let counters: MetricsRepository;
let fullScan: FullScanMetricsRepository;
let sessionCount = 0;
let runCount = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  connections = createConnections(database.url, { poolSize: 30 });
  counters = new MetricsRepository(connections.db);
  fullScan = new FullScanMetricsRepository(connections.db);
});
afterAll(async () => {
  await connections.close();
  await database.drop();
});

async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await connections.sql.query<T>(text, values)).rows;
}

async function newSession(): Promise<string> {
  const id = `mc-session-${++sessionCount}`;
  await sql('INSERT INTO sessions (id, workspace_path) VALUES ($1, $2)', [id, '/tmp']);
  return id;
}

function newRunId(): string {
  return `mc-run-${String(++runCount).padStart(6, '0')}`;
}

/** Runs `count` clients at once; a client's error (a deadlock, say) rolls it back and is returned. */
async function concurrently(count: number, work: (client: pg.Client, n: number) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, n) =>
      withClient(database.url, async (client) => {
        try {
          await work(client, n);
        } catch (error) {
          errors.push(error);
          await client.query('ROLLBACK').catch(() => undefined);
        }
      }),
    ),
  );
  return errors;
}

/** Inserts runs in ONE statement; a latency makes the run finished unless `finished` says otherwise. */
async function insertRuns(sessionId: string, runs: Array<{ status: string; latency?: number | null; finished?: boolean; id?: string }>): Promise<string[]> {
  const ids = runs.map((run) => run.id ?? newRunId());
  await sql(
    `INSERT INTO runs (id, session_id, status, prompt, worker_mode, completed_at, latency_seconds)
     SELECT id, $1, status, 'seeded', 'local', CASE WHEN finished THEN clock_timestamp() END, latency
     FROM unnest($2::text[], $3::text[], $4::boolean[], $5::float8[]) AS r(id, status, finished, latency)`,
    [
      sessionId,
      ids,
      runs.map((run) => run.status),
      runs.map((run) => run.finished ?? (run.latency !== undefined && run.latency !== null)),
      runs.map((run) => run.latency ?? null),
    ],
  );
  return ids;
}

/** The counter rows, summed per key, equal a fresh scan of runs (status by status, bucket by bucket). */
async function expectCountersMatchRuns(): Promise<void> {
  expect(await sql(`SELECT status, finished, sum(count)::int AS count FROM run_status_counts GROUP BY 1, 2 HAVING sum(count) <> 0 ORDER BY 1, 2`)).toEqual(
    await sql(`SELECT status, completed_at IS NOT NULL AS finished, count(*)::int AS count FROM runs GROUP BY 1, 2 ORDER BY 1, 2`),
  );
  expect(await sql(`SELECT bucket, sum(count)::int AS count FROM run_latency_buckets GROUP BY 1 HAVING sum(count) <> 0 ORDER BY 1`)).toEqual(
    await sql(`SELECT run_latency_bucket(latency_seconds) AS bucket, count(*)::int AS count FROM runs WHERE latency_seconds IS NOT NULL GROUP BY 1 ORDER BY 1`),
  );
  // The percentile read's premise: "latency_seconds >= run_latency_bucket_start(b)" selects
  // exactly the runs counted in bucket b and above.
  const premise = await sql<{ bucket: number; scanned: number; counted: number }>(`
    SELECT bucket,
           (SELECT count(*) FROM runs WHERE latency_seconds >= run_latency_bucket_start(b.bucket))::int AS scanned,
           (sum(count) OVER (ORDER BY bucket DESC))::int AS counted
    FROM (SELECT bucket, sum(count) AS count FROM run_latency_buckets GROUP BY 1 HAVING sum(count) <> 0) b`);
  for (const row of premise) expect(row).toEqual({ bucket: row.bucket, scanned: row.counted, counted: row.counted });
}

/** The snapshot, and the percentile at every rank, are exactly the full scans' answers. */
async function expectSameMetrics(): Promise<void> {
  const snapshot = await new MetricsService(counters).snapshot();
  expect(snapshot).toEqual(await new MetricsService(fullScan as unknown as MetricsRepository).snapshot());
  const n = await fullScan.latencyCount();
  expect(await counters.latencyCount()).toBe(n);
  // One p per rank k (floor((n - 1) p) = k), plus the three the service asks for.
  const ps = [...Array.from({ length: n }, (_, k) => (n <= 1 ? 0 : Math.min(1, (k + 0.5) / (n - 1)))), 0.5, 0.95, 0.99, 1];
  expect(await counters.latencyPercentiles(n, ps)).toEqual(await fullScan.latencyPercentiles(n, ps));
}

/** Consistent as the triggers left the rows, and again after folding them (one row per key). */
async function expectConsistent(): Promise<void> {
  await expectCountersMatchRuns();
  await expectSameMetrics();
  await counters.compact();
  expect(await sql('SELECT status, finished FROM run_status_counts GROUP BY 1, 2 HAVING count(*) > 1')).toEqual([]);
  expect(await sql('SELECT bucket FROM run_latency_buckets GROUP BY 1 HAVING count(*) > 1')).toEqual([]);
  expect(await sql('SELECT count FROM run_status_counts WHERE count <= 0 UNION ALL SELECT count FROM run_latency_buckets WHERE count <= 0')).toEqual([]);
  await expectCountersMatchRuns();
  await expectSameMetrics();
}

async function clearRuns(): Promise<void> {
  await sql('DELETE FROM runs');
  await expectConsistent();
  expect(await counters.latencyCount()).toBe(0);
}

describe('run_latency_bucket', () => {
  test('puts every double in the bucket whose start is the highest one at or below it', async () => {
    const values = [0, -0, 1e-9, 0.1, 0.2, 0.3, 0.1 + 0.2, 0.7, 1.1, 86400.05, 1e6 + 0.1, -0.1, -0.05, 1e12, -1e12, 214748364.7, -214748364.7];
    for (let b = -50; b <= 3000; b++) values.push(b / 10, nextUp(b / 10), nextDown(b / 10));
    // Spread over the whole range of buckets, deterministically (a multiplicative hash of i).
    const spread = (i: number): number => ((i * 2654435761) % 4294967296) / 4294967296;
    for (let i = 1; i <= 3000; i++) {
      const b = Math.floor((spread(i) * 2 - 1) * INT_MAX);
      values.push(b / 10, nextUp(b / 10), nextDown(b / 10), (b + spread(i + 7919)) / 10);
    }
    values.push(Infinity, -Infinity, NaN, nextDown(214748364.7), nextUp(-214748364.7));
    const wrong = await sql(
      `SELECT x, b FROM unnest($1::float8[]) AS x, LATERAL (SELECT run_latency_bucket(x) AS b) AS f
       WHERE NOT (run_latency_bucket_start(b) <= x AND (b = ${INT_MAX} OR x < run_latency_bucket_start(b::bigint + 1)))`,
      [values],
    );
    expect(wrong).toEqual([]);
    const named = await sql<{ x: number; b: number }>(`SELECT x, run_latency_bucket(x) AS b FROM unnest($1::float8[]) AS x`, [[0, 0.1, 0.3, 0.30000000000000004, 86400.05, -1e-9, Infinity, NaN, -Infinity]]);
    expect(named.map((row) => row.b)).toEqual([0, 1, 3, 3, 864000, -1, INT_MAX, INT_MAX, -INT_MAX - 1]);
  });
});

describe('counters follow every change to runs, and /metrics answers what the full scans answer', () => {
  afterEach(clearRuns);

  test('n = 0, 1, 2 finished runs, then more', async () => {
    await expectConsistent();
    const session = await newSession();
    await insertRuns(session, [{ status: 'running' }]);
    await expectConsistent();
    await insertRuns(session, [{ status: 'completed', latency: 0.3 }]);
    await expectConsistent();
    await insertRuns(session, [{ status: 'failed', latency: 0.1 }]);
    await expectConsistent();
    await insertRuns(session, [{ status: 'queued' }, { status: 'cancelled', latency: 0.2 }, { status: 'approval_required', latency: 7 }]);
    await expectConsistent();
  });

  test('latencies on bucket edges, tiny, zero, huge, negative and non-finite ones', async () => {
    const session = await newSession();
    const latencies = [0, 0, 1e-9, 0.1, 0.1, 0.2, 0.3, 0.1 + 0.2, nextDown(0.3), nextUp(0.3), 0.7, 1.1, 86400.05, 86400.05, nextDown(86400.1), 86400.1, 1e12, 214748364.7, -0.5, -1e-9, -1e12];
    await insertRuns(session, latencies.map((latency) => ({ status: 'completed', latency })));
    await expectConsistent();
    await insertRuns(session, [{ status: 'failed', latency: Infinity }, { status: 'failed', latency: -Infinity }, { status: 'failed', latency: NaN }]);
    await expectConsistent();
  });

  test('many runs in one bucket, ties, and ranks on bucket boundaries', async () => {
    const session = await newSession();
    // 300 runs in bucket 70 (7.0 s … 7.0299 s, with ties), 10 in each of buckets 0…9, 5 exactly on 7.1.
    const inOneBucket = Array.from({ length: 300 }, (_, i) => 7 + Math.floor(i / 3) * 3e-4);
    const spread = Array.from({ length: 100 }, (_, i) => Math.floor(i / 10) / 10 + (i % 10) * 0.001);
    await insertRuns(session, [...inOneBucket, ...spread, 7.1, 7.1, 7.1, 7.1, 7.1].map((latency) => ({ status: 'completed', latency })));
    await expectConsistent();
    // Whole buckets end exactly at ranks 9, 19, …, 99 (0-based): p = 9 / 404 lands on the last of bucket 0.
    const n = await counters.latencyCount();
    const boundaries = [9, 10, 99, 100, 399, 400, 404].map((k) => k / (n - 1));
    expect(await counters.latencyPercentiles(n, boundaries)).toEqual(await fullScan.latencyPercentiles(n, boundaries));
  });

  test('status changes that leave latency alone write no counter when nothing moves', async () => {
    const session = await newSession();
    const [queued, running, finished] = await insertRuns(session, [{ status: 'queued' }, { status: 'running' }, { status: 'completed', latency: 2.5 }]);
    await expectConsistent();
    // queued → running, running → queued (a claim and a requeue), in one statement.
    await sql(`UPDATE runs SET status = CASE status WHEN 'queued' THEN 'running' ELSE 'queued' END WHERE id = ANY($1::text[])`, [[queued, running]]);
    await expectConsistent();
    // A status change of a finished run, and one that unfinishes it while keeping its latency.
    await sql(`UPDATE runs SET status = 'failed' WHERE id = $1`, [finished]);
    await expectConsistent();
    await sql(`UPDATE runs SET completed_at = NULL WHERE id = $1`, [finished]);
    await expectConsistent();

    // Lease renewals and the cancel flag move no counter: the counter rows stay the same tuples.
    const before = await sql(`SELECT 's' AS t, ctid::text, xmin::text, status AS key, count FROM run_status_counts UNION ALL SELECT 'b', ctid::text, xmin::text, bucket::text, count FROM run_latency_buckets ORDER BY 1, 2`);
    await sql(`UPDATE runs SET lease_expires_at = now() + interval '1 minute', cancel_requested = true`);
    await sql(`UPDATE runs SET status = status, latency_seconds = latency_seconds`);
    expect(await sql(`SELECT 's' AS t, ctid::text, xmin::text, status AS key, count FROM run_status_counts UNION ALL SELECT 'b', ctid::text, xmin::text, bucket::text, count FROM run_latency_buckets ORDER BY 1, 2`)).toEqual(before);
    await expectConsistent();
  });

  test('latency changes of finished runs move them between buckets', async () => {
    const session = await newSession();
    const [a, b] = await insertRuns(session, [{ status: 'completed', latency: 0.3 }, { status: 'completed', latency: 5 }]);
    await sql(`UPDATE runs SET latency_seconds = 0.30000000000000004 WHERE id = $1`, [a]);
    await expectConsistent();
    await sql(`UPDATE runs SET latency_seconds = latency_seconds * 1000`);
    await expectConsistent();
    await sql(`UPDATE runs SET latency_seconds = NULL WHERE id = $1`, [b]);
    await expectConsistent();
    await sql(`UPDATE runs SET latency_seconds = 0.1 WHERE id = $1`, [b]);
    await expectConsistent();
    // A new id keeps the sums right.
    await sql(`UPDATE runs SET id = id || '-renamed' WHERE id = $1`, [a]);
    await expectConsistent();
  });

  test('deletes: one run, many runs, and a session whose runs go with it (ON DELETE CASCADE)', async () => {
    const [one, two] = [await newSession(), await newSession()];
    const ids = await insertRuns(one, Array.from({ length: 40 }, (_, i) => ({ status: i % 4 === 0 ? 'running' : 'completed', latency: i % 4 === 0 ? null : i / 10 })));
    await insertRuns(two, Array.from({ length: 25 }, (_, i) => ({ status: 'failed', latency: 3 + i / 100 })));
    await expectConsistent();
    await sql('DELETE FROM runs WHERE id = $1', [ids[1]]);
    await expectConsistent();
    await sql('DELETE FROM runs WHERE id = ANY($1::text[])', [ids.slice(2, 20)]);
    await expectConsistent();
    await sql('DELETE FROM sessions WHERE id = $1', [two]);
    expect(await sql('SELECT id FROM runs WHERE session_id = $1', [two])).toEqual([]);
    await expectConsistent();
    await connections.db.session.delete({ where: { id: one } });
    expect(await counters.statusCounts()).toEqual([]);
    await expectConsistent();
  });

  test('TRUNCATE of runs, also through sessions CASCADE, empties the counters', async () => {
    const session = await newSession();
    await insertRuns(session, [{ status: 'completed', latency: 1 }, { status: 'queued' }]);
    await sql('TRUNCATE runs CASCADE');
    await expectConsistent();
    await insertRuns(session, [{ status: 'completed', latency: 1 }, { status: 'queued' }]);
    await sql('TRUNCATE sessions CASCADE');
    await expectConsistent();
    expect(await sql('SELECT count(*)::int AS n FROM run_status_counts WHERE count <> 0')).toEqual([{ n: 0 }]);
  });

  test("the runs repository's own statements: insert, claim, requeue, cancel, finish, lease sweep", async () => {
    const runs = new RunRepository(connections.db, connections.sql);
    const sessions = [await newSession(), await newSession(), await newSession()];
    const newRun = (sessionId: string, workerMode: 'local' | 'queue') => ({ id: newRunId(), sessionId, prompt: 'p', workerMode, idempotencyKey: null, leaseOwner: workerMode === 'local' ? 'me' : null, leaseSeconds: 60 });
    const completion = (status: 'completed' | 'failed' | 'cancelled') => ({ status, response: '', error: null, inputTokens: 0, outputTokens: 0, toolCalls: 0, pendingApprovalIds: [] });
    const local = await runs.insertUnlessKeyTaken(connections.db, newRun(sessions[0]!, 'local'));
    const queued = [await runs.insertUnlessKeyTaken(connections.db, newRun(sessions[1]!, 'queue')), await runs.insertUnlessKeyTaken(connections.db, newRun(sessions[2]!, 'queue'))];
    await expectConsistent();
    const claimed = await runs.claimQueued('me', 60);
    expect(claimed).toMatchObject({ status: 'running' });
    await expectConsistent();
    await runs.requeue((claimed as { id: string }).id, 'me');
    await expectConsistent();
    await runs.flagCancel(connections.db, queued[1]!.id);
    await runs.finish(connections.db, queued[1]!.id, completion('cancelled'), true);
    await expectConsistent();
    await runs.finish(connections.db, local!.id, completion('completed'), false);
    await expectConsistent();
    const again = await runs.claimQueued('me', 60);
    await sql(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [(again as { id: string }).id]);
    expect(await runs.failExpired(connections.db)).toHaveLength(1);
    await expectConsistent();
    expect((await counters.statusCounts()).sort((x, y) => x.status.localeCompare(y.status))).toEqual([
      { status: 'cancelled', finished: true, count: 1 },
      { status: 'completed', finished: true, count: 1 },
      { status: 'failed', finished: true, count: 1 },
    ]);
  });

  test('run_counters_rebuild() repairs counters after a load with the triggers off', async () => {
    const session = await newSession();
    await insertRuns(session, [{ status: 'completed', latency: 4 }]);
    await withClient(database.url, async (client) => {
      await client.query('SET session_replication_role = replica');
      await client.query(`INSERT INTO runs (id, session_id, status, prompt, worker_mode, completed_at, latency_seconds)
                          SELECT 'mc-bulk-' || i, $1, 'completed', 'p', 'local', now(), i / 7.0 FROM generate_series(1, 500) AS i`, [session]);
    });
    expect(await counters.latencyCount()).toBe(1);
    await sql('SELECT run_counters_rebuild()');
    await expectConsistent();
    expect(await counters.latencyCount()).toBe(501);
  });
});

describe('concurrency', () => {
  afterEach(clearRuns);

  test('20 transactions creating and finishing runs in different sessions at once: no deadlock, exact counts', async () => {
    const sessions = await Promise.all(Array.from({ length: 20 }, () => newSession()));
    const errors = await concurrently(sessions.length, async (client, index) => {
      const session = sessions[index] as string;
      for (let round = 0; round < 3; round++) {
        const id = `${session}-r${round}`;
        await client.query('BEGIN');
        await client.query(`INSERT INTO runs (id, session_id, status, prompt, worker_mode) VALUES ($1, $2, 'running', 'p', 'local')`, [id, session]);
        await client.query('SELECT pg_sleep(0.01)');
        await client.query(`UPDATE runs SET status = $2, completed_at = clock_timestamp(), latency_seconds = $3 WHERE id = $1`, [id, index % 3 === 0 ? 'failed' : 'completed', (index * 3 + round) / 10]);
        await client.query('COMMIT');
      }
    });
    expect(errors).toEqual([]);
    await expectConsistent();
    expect(await counters.latencyCount()).toBe(60);
  });

  test('sweeps over many runs in opposite orders, beside claims and requeues, never deadlock', async () => {
    const session = await newSession();
    const running = await insertRuns(session, Array.from({ length: 80 }, () => ({ status: 'running' })));
    const queued = await insertRuns(session, Array.from({ length: 40 }, () => ({ status: 'queued' })));
    const errors: unknown[] = [];
    const transaction = (statements: Array<[string, unknown[]]>) =>
      withClient(database.url, async (client) => {
        try {
          await client.query('BEGIN');
          for (const [text, values] of statements) {
            await client.query(text, values);
            await client.query('SELECT pg_sleep(0.005)');
          }
          await client.query('COMMIT');
        } catch (error) {
          errors.push(error);
          await client.query('ROLLBACK').catch(() => undefined);
        }
      });
    const sweep = (ids: string[]) =>
      transaction([[`UPDATE runs SET status = 'failed', completed_at = clock_timestamp(), latency_seconds = length(id) / 3.0 WHERE id = ANY($1::text[])`, [ids]]]);
    const flip = (id: string, to: string) => transaction([[`UPDATE runs SET status = $2 WHERE id = $1`, [id, to]]]);
    await Promise.all([
      sweep(running.slice(0, 20)),
      sweep(running.slice(20, 40).reverse()),
      sweep(running.slice(40, 60)),
      sweep(running.slice(60, 70).reverse()),
      ...queued.slice(0, 20).map((id) => flip(id, 'running')),
      ...running.slice(70, 80).map((id) => flip(id, 'queued')),
    ]);
    expect(errors).toEqual([]);
    await expectConsistent();
  });

  test('run writes in open transactions never wait for each other on a counter', async () => {
    const session = await newSession();
    const insert = (client: pg.Client, id: string) =>
      client.query(`INSERT INTO runs (id, session_id, status, prompt, worker_mode) VALUES ($1, $2, 'running', 'p', 'local')`, [id, session]);
    await withClient(database.url, async (holder) => {
      await holder.query('BEGIN');
      await insert(holder, newRunId());
      await holder.query(`UPDATE runs SET status = 'completed', completed_at = now(), latency_seconds = 1 WHERE session_id = $1`, [session]);
      await withClient(database.url, async (client) => {
        await client.query("SET lock_timeout = '300ms'");
        for (let n = 0; n < 20; n++) {
          await client.query('BEGIN');
          await insert(client, newRunId());
          await client.query('COMMIT');
        }
        // A fold beside the open writer: it does not wait for it, and leaves its rows alone.
        await counters.compact();
      });
      await holder.query('COMMIT');
    });
    await expectConsistent();
    expect((await counters.statusCounts()).sort((x, y) => x.status.localeCompare(y.status))).toEqual([
      { status: 'completed', finished: true, count: 1 },
      { status: 'running', finished: false, count: 20 },
    ]);
  });

  test("a session's row lock taken before or after a run write never deadlocks with the counters", async () => {
    // The shape that deadlocked upserted counters: creating a run writes its counter and then locks
    // its session (to append run_created); claiming a queued run of that session locks the
    // session and then writes a counter.
    const session = await newSession();
    const [queued] = await insertRuns(session, [{ status: 'queued' }]);
    const errors = await concurrently(20, async (client, n) => {
      await client.query("SET deadlock_timeout = '50ms'");
      await client.query('BEGIN');
      if (n % 2 === 0) {
        await client.query(`INSERT INTO runs (id, session_id, status, prompt, worker_mode) VALUES ($1, $2, 'queued', 'p', 'queue')`, [newRunId(), session]);
        await client.query('SELECT pg_sleep(0.01)');
        await client.query('SELECT id FROM sessions WHERE id = $1 FOR NO KEY UPDATE', [session]);
      } else {
        await client.query('UPDATE sessions SET active_run_id = NULL WHERE id = $1', [session]);
        await client.query('SELECT pg_sleep(0.01)');
        await client.query(`UPDATE runs SET status = CASE status WHEN 'queued' THEN 'running' ELSE 'queued' END WHERE id = $1`, [queued]);
      }
      await client.query('COMMIT');
    });
    expect(errors).toEqual([]);
    await expectConsistent();
  });
});

test('the migration backfills counters from the runs already there', async () => {
  const db = await createEmptyDatabase();
  const earlier = await mkdtemp(join(tmpdir(), 'anton-migrations-'));
  try {
    const migrations = await readMigrations();
    const mine = migrations.findIndex((migration) => migration.name.endsWith('_metrics_counters'));
    expect(mine).toBeGreaterThan(0);
    for (const migration of migrations.slice(0, mine)) await cp(join(defaultMigrationsDir(), migration.name), join(earlier, migration.name), { recursive: true });
    await applyMigrations(db.url, { migrationsDir: earlier });
    await withClient(db.url, async (client) => {
      await client.query(`INSERT INTO sessions (id, workspace_path) VALUES ('s', '/tmp')`);
      await client.query(`INSERT INTO runs (id, session_id, status, prompt, worker_mode, completed_at, latency_seconds)
                          SELECT 'r' || i, 's', (ARRAY['completed', 'failed', 'running'])[i % 3 + 1], 'p', 'local',
                                 CASE WHEN i % 3 < 2 THEN now() END, CASE WHEN i % 3 < 2 THEN i / 10.0 END
                          FROM generate_series(1, 300) AS i`);
    });
    expect((await applyMigrations(db.url)).applied).toEqual(migrations.slice(mine).map((migration) => migration.name));
    await withClient(db.url, async (client) => {
      const counted = await client.query(`SELECT status, finished, sum(count)::int AS count FROM run_status_counts GROUP BY 1, 2 ORDER BY 1, 2`);
      const scanned = await client.query(`SELECT status, completed_at IS NOT NULL AS finished, count(*)::int AS count FROM runs GROUP BY 1, 2 ORDER BY 1, 2`);
      expect(counted.rows).toEqual(scanned.rows);
      expect((await client.query(`SELECT sum(count)::int AS n FROM run_latency_buckets`)).rows).toEqual([{ n: 200 }]);
    });
  } finally {
    await rm(earlier, { recursive: true, force: true });
    await db.drop();
  }
});
