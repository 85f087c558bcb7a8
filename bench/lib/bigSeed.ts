// Set-based seeding of realistic sessions, runs and events straight into the migrated tables
// (generate_series, INSERT … SELECT): no API, no per-row round trips. The shape, in one place:
//
// - sessions live in blocks of SESSIONS_AT_ONCE that are active together: their events
//   interleave (round robin) in id order, as concurrent sessions' events do;
// - every session has EVENTS_PER_SESSION events and RUNS_PER_SESSION runs of EVENTS_PER_RUN
//   events each (run_created … worker_finished); an event's run belongs to the event's session;
// - runs end like real ones: ~85 % completed, 8 % failed, 3 % cancelled, 3 % approval_required
//   (all finished: completed_at and a log-normal latency_seconds, median ~7 s), 0.6 % running
//   (with a live lease held by "another process", so this process's sweep leaves them alone)
//   and 0.4 % queued;
// - ids look like the service's (12 hex characters, from md5 of the ordinal); event ids are
//   given explicitly in time order (the sequence is moved past them afterwards), so that two
//   loading connections cannot interleave them;
// - payloads are JSON objects of ~250–350 bytes (an SQL text, a tool input, a result preview);
// - the /metrics counters are recounted from the loaded runs at the end (run_counters_rebuild()),
//   since the load bypasses the triggers that keep them.
//
// Everything is a pure function of the ordinal, so the small and the big tables have the same
// shape, and the LAST session (the one a measure reads) is identical in both: same number of
// events, same interleaving with the same number of neighbours.
import { createHash } from 'node:crypto';
import pg from 'pg';

export const EVENTS_PER_SESSION = 1000;
export const EVENTS_PER_RUN = 10;
export const RUNS_PER_SESSION = EVENTS_PER_SESSION / EVENTS_PER_RUN;
export const SESSIONS_AT_ONCE = 10;
/** Event counts must be whole blocks of sessions. */
export const EVENT_GRANULE = EVENTS_PER_SESSION * SESSIONS_AT_ONCE;
/** The history the rows are spread over (ts, created_at), ending now. */
const SPAN_SECONDS = 90 * 24 * 3600;

const EVENT_TYPES = ['run_created', 'memory_retrieval', 'llm_response', 'tool_call', 'tool_result', 'llm_response', 'tool_call', 'tool_result', 'assistant_reply', 'worker_finished'];

export interface SeedPlan {
  events: number;
  sessions: number;
  runs: number;
}

export function seedPlan(events: number): SeedPlan {
  const rounded = Math.max(EVENT_GRANULE, Math.round(events / EVENT_GRANULE) * EVENT_GRANULE);
  const sessions = rounded / EVENTS_PER_SESSION;
  return { events: rounded, sessions, runs: sessions * RUNS_PER_SESSION };
}

export const sessionId = (ordinal: number): string => md5Prefix(`session:${ordinal}`);

/** The id of the `local`-th event of session `ordinal` (both 0-based; ids start at 1). */
export function eventId(ordinal: number, local: number): number {
  const block = Math.floor(ordinal / SESSIONS_AT_ONCE);
  return block * EVENT_GRANULE + local * SESSIONS_AT_ONCE + (ordinal % SESSIONS_AT_ONCE) + 1;
}

function md5Prefix(text: string): string {
  return createHash('md5').update(text).digest('hex').slice(0, 12);
}

// SQL fragments shared by the statements: the event ordinal `i` → its session `s`, its index in
// the session `l`, its run's ordinal; and the clock of the history.
const T0 = `(now() - make_interval(secs => ${SPAN_SECONDS}))`;
const DT = (plan: SeedPlan): string => `(${SPAN_SECONDS}::float8 / ${plan.events})`;

function sessionsSql(plan: SeedPlan): string {
  return `
    INSERT INTO sessions (id, created_at, workspace_path, metadata)
    SELECT substr(md5('session:' || s), 1, 12),
           ${T0} + make_interval(secs => ((s / ${SESSIONS_AT_ONCE}) * ${EVENT_GRANULE} + s % ${SESSIONS_AT_ONCE}) * ${DT(plan)} - 1),
           '/srv/anton/workspaces/' || substr(md5('session:' || s), 1, 12),
           jsonb_build_object('source', 'bench', 'team', 'analytics-' || (s % 7))
    FROM generate_series(0, ${plan.sessions - 1}) AS s`;
}

function runsSql(plan: SeedPlan, from: number, to: number): string {
  // r: run ordinal; s: its session; k: its index in the session; i0: its first event's ordinal.
  // bucket: a well-spread pseudo-random 0…999 from the ordinal (deterministic).
  return `
    INSERT INTO runs (id, session_id, created_at, started_at, completed_at, status, prompt, response, error,
                      input_tokens, output_tokens, tool_calls, worker_mode, idempotency_key, latency_seconds,
                      lease_owner, lease_expires_at, provider, model)
    SELECT substr(md5('run:' || r), 1, 12),
           substr(md5('session:' || s), 1, 12),
           created, created,
           CASE WHEN bucket < 990 THEN created + make_interval(secs => latency) END,
           status,
           'Show revenue by region for ' || to_char(created, 'YYYY-MM') || ' and compare it with the previous period (' || r || ').',
           CASE WHEN status IN ('completed', 'approval_required') THEN
             'Revenue rose 4.2 % against the previous period; EMEA led with 1.8 M, APAC followed. The query scanned the sales fact table for the period, grouped by region and compared each region with the same weeks of the previous period.' END,
           CASE WHEN status = 'failed' THEN 'Connector error: relation "sales_facts" does not exist' END,
           800 + (bucket * 37) % 9000, 120 + (bucket * 13) % 1500, bucket % 9,
           CASE WHEN status = 'queued' THEN 'queue' ELSE 'local' END,
           CASE WHEN bucket % 4 = 0 THEN 'client-' || r END,
           CASE WHEN bucket < 990 THEN latency END,
           CASE WHEN status = 'running' THEN 'bench-elsewhere:1:feedbeef' END,
           CASE WHEN status = 'running' THEN now() + interval '1 day' END,
           'anthropic', 'claude-sonnet-4-6'
    FROM (
      SELECT r, s, bucket,
             ${T0} + make_interval(secs => ((s / ${SESSIONS_AT_ONCE}) * ${EVENT_GRANULE} + (r % ${RUNS_PER_SESSION}) * ${EVENTS_PER_RUN} * ${SESSIONS_AT_ONCE} + s % ${SESSIONS_AT_ONCE}) * ${DT(plan)} - 0.5) AS created,
             round(exp(random_normal(2.0, 0.9))::numeric, 3)::float8 AS latency,
             CASE WHEN bucket < 850 THEN 'completed' WHEN bucket < 930 THEN 'failed' WHEN bucket < 960 THEN 'cancelled'
                  WHEN bucket < 990 THEN 'approval_required' WHEN bucket < 996 THEN 'running' ELSE 'queued' END AS status
      FROM (SELECT r, r / ${RUNS_PER_SESSION} AS s, ((r::bigint * 2654435761) % 1000)::int AS bucket
            FROM generate_series(${from}, ${to - 1}) AS r) AS g
    ) AS planned`;
}

function eventsSql(plan: SeedPlan, from: number, to: number): string {
  const types = `(ARRAY[${EVENT_TYPES.map((type) => `'${type}'`).join(', ')}])`;
  return `
    INSERT INTO events (id, session_id, run_id, ts, event_type, payload)
    SELECT i + 1,
           substr(md5('session:' || s), 1, 12),
           substr(md5('run:' || (s * ${RUNS_PER_SESSION} + l / ${EVENTS_PER_RUN})), 1, 12),
           ${T0} + make_interval(secs => i * ${DT(plan)}),
           ${types}[l % ${EVENTS_PER_RUN} + 1],
           ('{"step": ' || l % ${EVENTS_PER_RUN} || ', "tool": "sql_query", "connector": "warehouse-' || s % 5 || '",'
             || ' "input": {"sql": "SELECT region, date_trunc(''week'', sold_at) AS week, sum(revenue) FROM sales_facts WHERE sold_at >= now() - interval ''' || (l % 90 + 1) || ' days'' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 50"},'
             || ' "output": {"rows": ' || (i % 50) || ', "elapsed_ms": ' || (i % 997) || ', "preview": "EMEA 1.82M; APAC 1.11M; AMER 0.97M"}}')::jsonb
    FROM (SELECT i, (i / ${EVENT_GRANULE}) * ${SESSIONS_AT_ONCE} + i % ${SESSIONS_AT_ONCE} AS s, (i % ${EVENT_GRANULE}) / ${SESSIONS_AT_ONCE} AS l
          FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS i) AS g`;
}

export interface SeedReport {
  plan: SeedPlan;
  ms: { sessions: number; runs: number; events: number; verify: number; counters: number; vacuumAnalyze: number; total: number };
  connections: number;
  chunks: number;
  /** false: the per-row foreign-key triggers were skipped during the load and the keys checked set-based after it. */
  fkTriggers: boolean;
}

export interface SeedOptions {
  connections: number;
  /** Rows per INSERT … SELECT (each its own transaction). */
  chunkRows: number;
  log: (message: string) => void;
  /** Gives up (cancels the statements) past this clock time (performance.now()). */
  deadline: number;
  /**
   * true: every inserted row fires its foreign-key checks (two index probes and a row lock per
   * event, ~70 % of the load time). false: the load runs with session_replication_role =
   * replica (every trigger off: those and the run counters' triggers, whose counts are rebuilt
   * afterwards either way; nothing else changes: the tables stay logged, every index is
   * maintained row by row), and one set-based pass afterwards proves that every key resolves.
   */
  fkTriggers: boolean;
}

/** Loads the plan into an empty migrated database, rebuilds the run counters, then VACUUM ANALYZE; returns the times. */
export async function seed(url: string, plan: SeedPlan, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const clients: pg.Client[] = [];
  try {
    for (let index = 0; index < options.connections; index++) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      clients.push(client);
      const left = Math.max(1000, Math.round(options.deadline - performance.now()));
      await client.query(`SET statement_timeout = ${left}`);
      if (!options.fkTriggers) await client.query('SET session_replication_role = replica');
    }
    const [main] = clients as [pg.Client];
    const timed = async (what: () => Promise<unknown>): Promise<number> => {
      const at = performance.now();
      await what();
      return Math.round(performance.now() - at);
    };
    let chunks = 0;
    const inChunks = async (total: number, build: (from: number, to: number) => string, label: string): Promise<void> => {
      const queue: Array<[number, number]> = [];
      for (let from = 0; from < total; from += options.chunkRows) queue.push([from, Math.min(total, from + options.chunkRows)]);
      let done = 0;
      await Promise.all(
        clients.map(async (client) => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            if (performance.now() > options.deadline) throw new Error(`seeding ${label} ran past its deadline`);
            await client.query(build(next[0], next[1]));
            chunks++;
            done += next[1] - next[0];
            if (queue.length % 4 === 0 || queue.length === 0) options.log(`  ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} rows (${((performance.now() - started) / 1000).toFixed(1)} s)`);
          }
        }),
      );
    };
    const sessions = await timed(() => main.query(sessionsSql(plan)));
    const runs = await timed(() => inChunks(plan.runs, (from, to) => runsSql(plan, from, to), 'runs'));
    const events = await timed(() => inChunks(plan.events, (from, to) => eventsSql(plan, from, to), 'events'));
    await main.query(`SELECT setval(pg_get_serial_sequence('events', 'id'), ${plan.events})`);
    const verify = options.fkTriggers ? 0 : await timed(() => verifyKeys(main));
    // The /metrics counters (run_status_counts, run_latency_buckets) are kept by triggers on
    // runs, which session_replication_role = replica switched off with the foreign-key ones:
    // recount them from the loaded runs, as the migration's backfill does (one statement, so one
    // transaction: TRUNCATE both, then the INSERT … SELECTs). Done with the FK triggers on too,
    // so the counters never depend on how the load ran.
    const counters = await timed(() => main.query('SELECT run_counters_rebuild()'));
    options.log(`  counters: rebuilt from ${plan.runs.toLocaleString('en')} runs in ${(counters / 1000).toFixed(1)} s`);
    // VACUUM as well as ANALYZE: a long-lived table has been vacuumed by autovacuum (hint bits
    // set, visibility map current, so index-only scans work); without it, autovacuum would
    // start on the fresh table in the middle of the measurement.
    const vacuumAnalyze = await timed(() => main.query('VACUUM (ANALYZE) sessions, runs, events, run_status_counts, run_latency_buckets'));
    return {
      plan,
      ms: { sessions, runs, events, verify, counters, vacuumAnalyze, total: Math.round(performance.now() - started) },
      connections: clients.length,
      chunks,
      fkTriggers: options.fkTriggers,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

/**
 * What the skipped foreign-key triggers would have checked, in one pass per table: every run's
 * session exists; every event's run exists and belongs to the event's session (so the event's
 * session exists too). Throws when anything dangles.
 */
async function verifyKeys(client: pg.Client): Promise<void> {
  await client.query("SET session_replication_role = DEFAULT; SET work_mem = '256MB'");
  const { rows } = await client.query<{ runs: string; events: string }>(`
    SELECT (SELECT count(*) FROM runs r LEFT JOIN sessions s ON s.id = r.session_id WHERE s.id IS NULL) AS runs,
           (SELECT count(*) FROM events e LEFT JOIN runs r ON r.id = e.run_id WHERE r.id IS NULL OR r.session_id <> e.session_id) AS events`);
  await client.query('RESET work_mem');
  const bad = rows[0]!;
  if (bad.runs !== '0' || bad.events !== '0') throw new Error(`seeded keys dangle: ${bad.runs} runs without their session, ${bad.events} events without their run`);
}

export interface TableSize {
  table: string;
  rows: number;
  heapMiB: number;
  indexesMiB: number;
  totalMiB: number;
  indexes: Record<string, number>;
}

export async function tableSizes(client: pg.Client, tables: string[]): Promise<TableSize[]> {
  const sizes: TableSize[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ rows: string; heap: string; indexes: string; total: string }>(
      `SELECT (SELECT count(*) FROM ${table}) AS rows, pg_relation_size('${table}') AS heap,
              pg_indexes_size('${table}') AS indexes, pg_total_relation_size('${table}') AS total`,
    );
    const index = await client.query<{ name: string; size: string }>(
      `SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS size FROM pg_index WHERE indrelid = '${table}'::regclass`,
    );
    const mib = (bytes: string): number => Math.round((Number(bytes) / 1024 ** 2) * 10) / 10;
    const row = rows[0]!;
    sizes.push({
      table,
      rows: Number(row.rows),
      heapMiB: mib(row.heap),
      indexesMiB: mib(row.indexes),
      totalMiB: mib(row.total),
      indexes: Object.fromEntries(index.rows.map((entry) => [entry.name, mib(entry.size)])),
    });
  }
  return sizes;
}
