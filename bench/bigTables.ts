// Measure: do reads stay fast as the tables grow? Two ratios of one request's latency on a big
// table against a small one, through the running service (startService, a ScriptedAgent):
//
//   (a) GET /metrics with 1,000,000 runs vs 1,000 runs                          target ≤ 5×
//   (b) GET /sessions/{id}/events?since_id=…&limit=100 with 10,000,000 events
//       in the table vs 10,000 (page 9 of 10 of a 1,000-event session)           target ≤ 2×
//
// Each scale gets its own database, seeded set-based (lib/bigSeed.ts: INSERT … SELECT from
// generate_series on a few connections, a recount of the run counters, then VACUUM ANALYZE);
// runs and events come together
// (10 events per run), so the small database holds 1,000 runs and 10,000 events and the big one
// 1,000,000 and 10,000,000. The session read in (b) is the last one seeded, identical in both.
// Every request is timed end to end (HTTP, GraphQL, SQL) after a warm-up; the SQL statements
// the service sent are captured with their values and replayed under EXPLAIN (ANALYZE, BUFFERS).
// /metrics reads the run counters that triggers on runs keep (migration metrics_counters); the
// seed rebuilds them after its trigger-less load, so the service answers as it would in production.
//
// Knobs: BENCH_BIG_SCALE (1: the big database's share of 1M runs / 10M events; e.g. 0.05 for
// development), BENCH_BIG_REQUESTS (100 measured requests of each kind), BENCH_BIG_WARMUP (20),
// BENCH_BIG_PAGE_LIMIT (100), BENCH_BIG_SEED_CONNECTIONS (2), BENCH_BIG_CHUNK_ROWS (500000),
// BENCH_BIG_FK_TRIGGERS (0: load without the per-row foreign-key triggers and check the keys in
// one pass afterwards; 1: load with them, ~3× slower).
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService, type RunningService } from '../src/server/app.js';
import { ScriptedAgent } from '../test/kit/agents.js';
import { EVENTS_PER_SESSION, eventId, seed, seedPlan, sessionId, tableSizes, type SeedPlan, type SeedReport, type TableSize } from './lib/bigSeed.js';
import { flagFromEnv, intFromEnv, numberFromEnv } from './lib/knobs.js';
import { captureSql, explainAnalyze, type SqlCapture } from './lib/sqlCapture.js';
import { ms, rounded, summarize, type Summary } from './lib/stats.js';
import { watchMachineLoad, type MachineLoad } from './lib/system.js';
import type { BenchContext, BenchDatabase, Measure, MeasureResult } from './lib/types.js';

const METRICS_TARGET = 5;
const EVENTS_TARGET = 2;
const SMALL_EVENTS = 10_000;
const BIG_EVENTS = 10_000_000;

interface Settings {
  scale: number;
  requests: number;
  warmup: number;
  pageLimit: number;
  seedConnections: number;
  chunkRows: number;
  fkTriggers: boolean;
}

function settings(): Settings {
  return {
    scale: numberFromEnv('BENCH_BIG_SCALE', 1, 0.001, 1),
    requests: intFromEnv('BENCH_BIG_REQUESTS', 100, 10),
    warmup: intFromEnv('BENCH_BIG_WARMUP', 20, 0),
    pageLimit: intFromEnv('BENCH_BIG_PAGE_LIMIT', 100, 1),
    seedConnections: intFromEnv('BENCH_BIG_SEED_CONNECTIONS', 2, 1),
    chunkRows: intFromEnv('BENCH_BIG_CHUNK_ROWS', 500_000, 1000),
    fkTriggers: flagFromEnv('BENCH_BIG_FK_TRIGGERS', false),
  };
}

export const bigTables: Measure = {
  name: 'big-tables',
  target: 'GET /metrics 1M vs 1k runs ≤ 5×; GET /sessions/{id}/events?since_id (page near the end) 10M vs 10k events ≤ 2×',
  timeoutMs: 12 * 60_000,
  run: (ctx) => runBigTables(ctx, settings()),
};

/** What one scale gave. */
interface ScaleResult {
  label: string;
  seed: SeedReport;
  sizes: TableSize[];
  page: { sessionId: string; sinceId: number; limit: number; page: string; firstId: number; lastId: number };
  metricsMs: Summary;
  eventsMs: Summary;
  sql: ReturnType<SqlCapture['summary']>;
  explain: Array<{ sql: string; values: unknown[]; plan: string[] }>;
  machine: MachineLoad;
}

async function runBigTables(ctx: BenchContext, s: Settings): Promise<MeasureResult> {
  const started = performance.now();
  // Leave the runner's own timeout some room to tear down.
  const deadline = started + 11 * 60_000;
  const small = seedPlan(SMALL_EVENTS);
  const big = seedPlan(BIG_EVENTS * s.scale);
  ctx.log(`big-tables: small = ${small.runs} runs / ${small.events} events; big = ${big.runs} runs / ${big.events} events (scale ${s.scale})`);
  const smallResult = await measureScale(ctx, s, 'small', small, deadline);
  const bigResult = await measureScale(ctx, s, 'big', big, deadline);

  const metricsRatio = ratio(bigResult.metricsMs, smallResult.metricsMs);
  const eventsRatio = ratio(bigResult.eventsMs, smallResult.eventsMs);
  const metricsMet = metricsRatio.p50 <= METRICS_TARGET;
  const eventsMet = eventsRatio.p50 <= EVENTS_TARGET;
  const describe = (name: string, a: ScaleResult, b: ScaleResult, key: 'metricsMs' | 'eventsMs', r: { p50: number; p95: number }, target: number): string =>
    `${name}: p50 ${ms(b[key].p50)} vs ${ms(a[key].p50)} = ${r.p50.toFixed(1)}× (p95 ${r.p95.toFixed(1)}×) ${r.p50 <= target ? '≤' : '>'} ${target}×`;
  const scaleNote = s.scale === 1 ? '' : `SCALE ${s.scale} (big = ${big.runs.toLocaleString('en')} runs / ${big.events.toLocaleString('en')} events): `;
  const figure =
    scaleNote +
    `${describe(`/metrics ${short(big.runs)} vs ${short(small.runs)} runs`, smallResult, bigResult, 'metricsMs', metricsRatio, METRICS_TARGET)}; ` +
    `${describe(`/events ${short(big.events)} vs ${short(small.events)} events (${bigResult.page.page})`, smallResult, bigResult, 'eventsMs', eventsRatio, EVENTS_TARGET)}; ` +
    `seed ${(bigResult.seed.ms.total / 1000).toFixed(0)} s`;
  return {
    figure,
    met: metricsMet && eventsMet && s.scale === 1,
    details: {
      settings: s,
      metrics: {
        ratio: rounded(metricsRatio),
        targetRatio: METRICS_TARGET,
        met: metricsMet,
        smallMs: smallResult.metricsMs,
        bigMs: bigResult.metricsMs,
      },
      events: { ratio: rounded(eventsRatio), targetRatio: EVENTS_TARGET, met: eventsMet, page: bigResult.page, smallMs: smallResult.eventsMs, bigMs: bigResult.eventsMs },
      small: smallResult,
      big: bigResult,
      totalSeconds: Math.round((performance.now() - started) / 100) / 10,
    },
  };
}

function ratio(big: Summary, small: Summary): { p50: number; p95: number } {
  return { p50: big.p50 / small.p50, p95: big.p95 / small.p95 };
}

function short(count: number): string {
  return count >= 1e6 ? `${count / 1e6}M` : count >= 1e3 ? `${count / 1e3}k` : String(count);
}

async function measureScale(
  ctx: BenchContext,
  s: Settings,
  label: string,
  plan: SeedPlan,
  deadline: number,
): Promise<ScaleResult> {
  let database: BenchDatabase | undefined;
  let home: string | undefined;
  let service: RunningService | undefined;
  let capture: SqlCapture | undefined;
  let admin: pg.Client | undefined;
  try {
    database = await ctx.createDatabase();
    ctx.log(`${label}: seeding ${plan.sessions} sessions, ${plan.runs} runs, ${plan.events} events`);
    const seeded = await seed(database.url, plan, { connections: s.seedConnections, chunkRows: s.chunkRows, fkTriggers: s.fkTriggers, log: ctx.log, deadline });
    ctx.log(`${label}: seeded in ${(seeded.ms.total / 1000).toFixed(1)} s ${JSON.stringify(seeded.ms)}`);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const sizes = await tableSizes(admin, ['sessions', 'runs', 'events']);
    ctx.log(`${label}: ${sizes.map((size) => `${size.table} ${size.rows} rows ${size.totalMiB} MiB`).join(', ')}`);

    home = await ctx.scratchDir(`big-tables-${label}-home`);
    const config = loadConfig(
      { ANTON_HOME: home, ANTON_SERVICE_PORT: '0', ANTON_SERVICE_HOST: '127.0.0.1', DATABASE_URL: database.url, ANTON_LOG_LEVEL: 'silent' },
      { cwd: home, homeDir: home, readEnvFiles: false },
    );
    service = await startService({ config, databaseUrl: database.url, agent: new ScriptedAgent(), log: createLogger('silent'), cwd: home });

    // The page: the last session's events 801–900 of 1,000 at limit 100 (the page before the last).
    const last = plan.sessions - 1;
    const firstLocal = EVENTS_PER_SESSION - 2 * s.pageLimit;
    const page = {
      sessionId: sessionId(last),
      sinceId: eventId(last, firstLocal - 1),
      limit: s.pageLimit,
      page: `page ${Math.floor(firstLocal / s.pageLimit) + 1} of ${Math.ceil(EVENTS_PER_SESSION / s.pageLimit)} (events ${firstLocal + 1}–${firstLocal + s.pageLimit} of ${EVENTS_PER_SESSION})`,
      firstId: eventId(last, firstLocal),
      lastId: eventId(last, firstLocal + s.pageLimit - 1),
    };
    const metricsUrl = `${service.url}/metrics`;
    const eventsUrl = `${service.url}/sessions/${page.sessionId}/events?since_id=${page.sinceId}&limit=${page.limit}`;
    // The answers are what they should be before anything is timed.
    const probe = (await (await get(eventsUrl)).json()) as { events: Array<{ id: number }> };
    if (probe.events.length !== page.limit || probe.events[0]?.id !== page.firstId || probe.events.at(-1)?.id !== page.lastId) {
      throw new Error(`unexpected events page: ${probe.events.length} events, ids ${probe.events[0]?.id}…${probe.events.at(-1)?.id}; expected ${page.firstId}…${page.lastId}`);
    }
    const metrics = (await (await get(metricsUrl)).json()) as { run_count: number };
    if (metrics.run_count !== plan.runs) throw new Error(`GET /metrics counted ${metrics.run_count} runs, expected ${plan.runs}`);

    capture = captureSql();
    for (let index = 0; index < s.warmup; index++) {
      await timed(metricsUrl);
      await timed(eventsUrl);
    }
    capture.reset();
    const machineWindow = watchMachineLoad();
    const metricsMs: number[] = [];
    const eventsMs: number[] = [];
    // Alternating, so that both requests see the same machine.
    for (let index = 0; index < s.requests; index++) {
      metricsMs.push(await timed(metricsUrl));
      eventsMs.push(await timed(eventsUrl));
    }
    const machine = machineWindow();
    const sql = capture.summary();
    const statements = capture.statements();
    capture.stop();
    const result: ScaleResult = {
      label,
      seed: seeded,
      sizes,
      page,
      metricsMs: rounded(summarize(metricsMs)),
      eventsMs: rounded(summarize(eventsMs)),
      sql,
      explain: [],
      machine,
    };
    ctx.log(`${label}: /metrics p50 ${ms(result.metricsMs.p50)} p95 ${ms(result.metricsMs.p95)}; /events p50 ${ms(result.eventsMs.p50)} p95 ${ms(result.eventsMs.p95)}; load ${machine.loadAverageAtEnd.join(' ')}`);
    await service.close();
    service = undefined;

    // The statements the requests sent, replayed with their values (reads only: a WITH may hide
    // a write, e.g. the event append's, so anything naming a write or a row lock is skipped).
    const readOnly = (sql: string): boolean => /^\s*(SELECT|WITH)\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|MERGE)\b/i.test(sql);
    for (const statement of statements) {
      if (!readOnly(statement.sql) || !/\b(runs|events|run_status_counts|run_latency_buckets)\b/.test(statement.sql)) continue;
      for (const values of statement.variants) result.explain.push({ sql: statement.sql, values, plan: await explainAnalyze(admin, statement.sql, values) });
    }
    for (const entry of result.explain) ctx.log(`${label}: EXPLAIN ${entry.sql.slice(0, 100)}…\n    ${entry.plan.join('\n    ')}`);
    return result;
  } finally {
    capture?.stop();
    await service?.close().catch((error: unknown) => ctx.log(`closing the service failed: ${String(error)}`));
    await admin?.end().catch(() => undefined);
    await database?.drop().catch((error: unknown) => ctx.log(`dropping the database failed: ${String(error)}`));
    if (home) await rm(home, { recursive: true, force: true });
  }
}

async function get(url: string): Promise<Response> {
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}: ${await response.text()}`);
  return response;
}

/** One request, end to end including reading the body (ms). */
async function timed(url: string): Promise<number> {
  const at = performance.now();
  await (await get(url)).arrayBuffer();
  return performance.now() - at;
}
