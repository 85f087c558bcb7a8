// Measure: event append → delivered to 100 graphql-ws subscribers of one service process, at
// 1,000 events/s. Target (the issue): p99 ≤ 50 ms and nothing lost (and the rate achieved).
//
// The real service runs in this process (startService, port 0, silent log, a ScriptedAgent).
// The subscribers speak graphql-transport-ws over real WebSockets, in a separate process (as
// remote subscribers would be) so that their work does not share the service's event loop;
// their clock offset is estimated over IPC and subtracted. The measured window follows a
// warm-up at the same rate whose latencies are not counted.
//
// Knobs (environment): BENCH_LIVE_SUBSCRIBERS (100), BENCH_LIVE_RATE (1000 events/s),
// BENCH_LIVE_SECONDS (10), BENCH_LIVE_WARMUP_SECONDS (2; 0: none), BENCH_LIVE_IN_FLIGHT (64),
// BENCH_LIVE_CLIENT_PROCESSES (1), BENCH_LIVE_CLIENT (wire: the protocol and RFC 6455 over TCP,
// lib/wireSubscriber.ts; lean: the protocol over `ws` with a JSON.parse per message; graphql-ws:
// the library client), BENCH_LIVE_WS_PROBE (0; 1: time every outgoing frame, which costs the
// service ~5 % more CPU), BENCH_CPU_PROFILE (1: V8 CPU profile of the service process over the
// measured window), BENCH_LIVE_CLIENT_PROFILE (1: V8 CPU profiles of the subscriber processes, in
// the OS temp directory), BENCH_LIVE_APPEND (service: services.events.append, the measure; sql: a
// DIAGNOSTIC one-statement append over plain pg that reaches the live path through NOTIFY only;
// see lib/sqlAppend.ts).
import { rm } from 'node:fs/promises';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService, type RunningService } from '../src/server/app.js';
import { ScriptedAgent } from '../test/kit/agents.js';
import { startCpuProfile, type ProfileSummary } from './lib/cpuProfile.js';
import { intFromEnv } from './lib/knobs.js';
import { pace } from './lib/pacer.js';
import { installProbes, type ProbeReport, type Probes } from './lib/probes.js';
import { clock, ms, rounded, summarize, type Summary } from './lib/stats.js';
import { sqlAppender, type SqlAppender } from './lib/sqlAppend.js';
import { SubscriberPool } from './lib/subscriberPool.js';
import { watchMachineLoad, type MachineLoad } from './lib/system.js';
import type { ClientKind, CollectedMessage } from './lib/subscriberProcess.js';
import type { BenchContext, BenchDatabase, Measure, MeasureResult } from './lib/types.js';

const TARGET_P99_MS = 50;
const MIN_RATE_SHARE = 0.95;

interface Settings {
  subscribers: number;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  inFlight: number;
  clientProcesses: number;
  client: ClientKind;
  wsProbe: boolean;
  append: 'service' | 'sql';
  cpuProfile: boolean;
}

function settings(): Settings {
  return {
    subscribers: intFromEnv('BENCH_LIVE_SUBSCRIBERS', 100),
    rate: intFromEnv('BENCH_LIVE_RATE', 1000),
    seconds: intFromEnv('BENCH_LIVE_SECONDS', 10),
    warmupSeconds: intFromEnv('BENCH_LIVE_WARMUP_SECONDS', 2, 0),
    inFlight: intFromEnv('BENCH_LIVE_IN_FLIGHT', 64),
    clientProcesses: intFromEnv('BENCH_LIVE_CLIENT_PROCESSES', 1),
    client: clientKind(process.env.BENCH_LIVE_CLIENT),
    wsProbe: process.env.BENCH_LIVE_WS_PROBE === '1',
    append: appendMode(process.env.BENCH_LIVE_APPEND),
    cpuProfile: process.env.BENCH_CPU_PROFILE === '1',
  };
}

function clientKind(raw: string | undefined): ClientKind {
  const value = (raw ?? 'wire').trim() || 'wire';
  if (value !== 'lean' && value !== 'graphql-ws' && value !== 'wire') throw new Error(`BENCH_LIVE_CLIENT must be 'wire', 'lean' or 'graphql-ws' (got '${raw}').`);
  return value;
}

function appendMode(raw: string | undefined): Settings['append'] {
  const value = (raw ?? 'service').trim() || 'service';
  if (value !== 'service' && value !== 'sql') throw new Error(`BENCH_LIVE_APPEND must be 'service' or 'sql' (got '${raw}').`);
  return value;
}

const QUERY = `subscription BenchLive($sessionId: ID!, $sinceId: SafeInt) {
  sessionEvents(sessionId: $sessionId, sinceId: $sinceId) {
    ... on Event { id sessionId runId ts eventType payload }
  }
}`;

const SESSION_ID = 'bench-live-events';

export const liveEvents: Measure = {
  name: 'live-events',
  target: 'append → delivered to 100 subscribers at 1,000 events/s: p99 ≤ 50 ms, 0 lost, ≥ 950 events/s achieved',
  timeoutMs: 5 * 60_000,
  run: (ctx) => runLiveEvents(ctx, settings()),
};

async function runLiveEvents(ctx: BenchContext, s: Settings): Promise<MeasureResult> {
  let database: BenchDatabase | undefined;
  let home: string | undefined;
  let service: RunningService | undefined;
  let pool: SubscriberPool | undefined;
  let probes: Probes | undefined;
  let sql: SqlAppender | undefined;
  try {
    database = await ctx.createDatabase();
    home = await ctx.scratchDir('live-events-home');
    const config = loadConfig(
      { ANTON_HOME: home, ANTON_SERVICE_PORT: '0', ANTON_SERVICE_HOST: '127.0.0.1', DATABASE_URL: database.url, ANTON_LOG_LEVEL: 'silent' },
      { cwd: home, homeDir: home, readEnvFiles: false },
    );
    service = await startService({ config, databaseUrl: database.url, agent: new ScriptedAgent(), log: createLogger('silent'), cwd: home });
    const { services } = service;
    ctx.log(`service up at ${service.url}`);

    await services.sessions.create({ sessionId: SESSION_ID });
    const turn = await services.runs.startTurn({ sessionId: SESSION_ID, message: 'bench', waitForCompletion: true, waitTimeoutSeconds: 30 });
    const runId = turn.run.id;
    const head = await services.events.head(SESSION_ID);
    const count = s.rate * s.seconds;

    pool = await SubscriberPool.start({
      url: `ws://127.0.0.1:${service.port}/graphql`,
      sessionId: SESSION_ID,
      sinceId: head,
      query: QUERY,
      subscribers: s.subscribers,
      processes: s.clientProcesses,
      capacity: count,
      cwd: ctx.root,
      client: s.client,
    });
    ctx.log(`${s.subscribers} ${s.client} subscribers connected (${s.clientProcesses} process(es)); head ${head}`);

    // Every subscription replays from `head`, so each one gets the warm-up event whenever it
    // subscribed; once all have it, all are live.
    await services.events.append({ sessionId: SESSION_ID, runId, eventType: 'bench_warmup', payload: { warmup: true } });
    await pool.warmed(30_000);
    const offsets = await pool.calibrate();
    ctx.log(`all subscribers live; clock offsets ${offsets.map((o) => `${o.offsetMs.toFixed(3)} ms (rtt ${o.rttMs.toFixed(3)})`).join(', ')}`);

    if (s.append === 'sql') {
      sql = sqlAppender(database.url);
      ctx.log('DIAGNOSTIC: appending with one SQL statement over pg, not services.events.append');
    }
    const append = async (eventType: string, payload: Record<string, unknown>): Promise<number> => {
      if (sql) return sql.append(SESSION_ID, runId, eventType, payload);
      return Number((await services.events.append({ sessionId: SESSION_ID, runId, eventType, payload })).id);
    };

    // ---- warm-up: the same load, not measured ---------------------------------------------
    // A fresh process runs its first second on cold code: its p99 measured 2–4× the steady
    // state's. Subscribers count these events (payload.warmup) but take no latency from them.
    if (s.warmupSeconds > 0) {
      const warmCount = s.rate * s.warmupSeconds;
      ctx.log(`warm-up: ${warmCount} events at ${s.rate}/s, not measured`);
      const warmStart = clock() + 20;
      const warm = await pace({
        rate: s.rate,
        count: warmCount,
        inFlight: s.inFlight,
        start: warmStart,
        deadline: warmStart + s.warmupSeconds * 1000 * 1.5,
        clock,
        send: async () => {
          await append('bench_warmup', { warmup: true });
        },
      });
      if (warm.failed > 0 || warm.issued < warmCount) throw new Error(`the warm-up failed: ${warm.firstError ?? `${warm.issued}/${warmCount} events issued`}`);
      // Everything delivered before the window opens (the first warm-up event counts too).
      const deadline = clock() + 15_000;
      while ((await pool.received()).warmups < (warmCount + 1) * s.subscribers) {
        if (clock() > deadline) throw new Error('the warm-up events did not all arrive within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    // ---- the measured window ------------------------------------------------------------
    const sentAt = new Float64Array(count).fill(NaN);
    const committedAt = new Float64Array(count).fill(NaN);
    const ids = new Float64Array(count).fill(NaN);
    const appendOne = (seq: number, t: number): Promise<number> => append('bench_tick', { seq, sentAt: t });
    probes = installProbes({ wsSend: s.wsProbe });
    const stopProfile = s.cpuProfile ? await startCpuProfile('live-events') : null;
    const machineWindow = watchMachineLoad();
    await pool.mark();
    const start = clock() + 20;
    ctx.log(`appending ${count} events at ${s.rate}/s (in flight ≤ ${s.inFlight})`);
    const paced = await pace({
      rate: s.rate,
      count,
      inFlight: s.inFlight,
      start,
      deadline: start + s.seconds * 1000 * 1.5,
      clock,
      send: async (seq) => {
        const t = clock();
        sentAt[seq] = t;
        const id = await appendOne(seq, t);
        committedAt[seq] = clock();
        ids[seq] = id;
      },
    });
    let lastCommit = 0;
    let committed = 0;
    for (let i = 0; i < paced.issued; i++) {
      if (Number.isNaN(committedAt[i] as number)) continue;
      committed++;
      lastCommit = Math.max(lastCommit, committedAt[i] as number);
    }
    const expected = committed * s.subscribers;

    // Drain: until everything arrived, or nothing moved for 5 s, or 15 s at most.
    const drainStart = clock();
    let received = 0;
    let lastProgress = clock();
    for (;;) {
      const status = await pool.received();
      if (status.received !== received) lastProgress = clock();
      received = status.received;
      if (received >= expected) break;
      if (clock() - lastProgress > 5000 || clock() - drainStart > 15_000) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const drainMs = clock() - drainStart;
    const probeReport = probes.stop();
    const profile = stopProfile ? await stopProfile() : null;
    if (profile) ctx.log(`CPU profile: ${profile.file}\n${profile.byFunction.slice(0, 15).map((f) => `  ${String(f.ms).padStart(6)} ms  ${f.name}`).join('\n')}`);
    const machine = machineWindow();
    const collected = await pool.collect();
    ctx.log(`drained in ${Math.round(drainMs)} ms; ${received}/${expected} deliveries`);

    const result = analyse({
      s,
      count,
      issued: paced.issued,
      committed,
      failed: paced.failed,
      firstError: paced.firstError,
      unsettled: paced.unsettled,
      capStalls: paced.capStalls,
      lateness: paced.lateness,
      start,
      lastCommit,
      sentAt,
      committedAt,
      ids,
      probes,
      probeReport,
      collected,
      offsets,
      drainMs,
      machine,
      profile,
    });
    ctx.log(`where the time goes (ms after append was called):\n${describeStages(result.details)}`);
    ctx.log(`service CPU: ${JSON.stringify(result.details.capacity)}; event-loop delay ${JSON.stringify((result.details.service as ProbeReport).eventLoopDelayMs)}`);
    const breakdown = result.details.appendBreakdownMs as Record<string, number> | null;
    if (breakdown) ctx.log(`append, mean ms per append: ${JSON.stringify(Object.fromEntries(Object.entries(breakdown).filter(([, v]) => v !== 0)))}`);
    return result;
  } finally {
    probes?.stop();
    await sql?.close().catch(() => undefined);
    await pool?.close().catch((error: unknown) => ctx.log(`closing subscribers failed: ${String(error)}`));
    await service?.close().catch((error: unknown) => ctx.log(`closing the service failed: ${String(error)}`));
    await database?.drop().catch((error: unknown) => ctx.log(`dropping the database failed: ${String(error)}`));
    if (home) await rm(home, { recursive: true, force: true });
  }
}

interface Raw {
  s: Settings;
  count: number;
  issued: number;
  committed: number;
  failed: number;
  firstError: string | null;
  unsettled: number;
  capStalls: number;
  lateness: Float64Array;
  start: number;
  lastCommit: number;
  sentAt: Float64Array;
  committedAt: Float64Array;
  ids: Float64Array;
  probes: Probes;
  probeReport: ProbeReport;
  collected: CollectedMessage[];
  offsets: Array<{ offsetMs: number; rttMs: number }>;
  drainMs: number;
  machine: MachineLoad;
  profile: ProfileSummary | null;
}

function analyse(raw: Raw): MeasureResult {
  const { s, issued } = raw;
  const subscribers = raw.collected.flatMap((c) => c.subscribers);

  // Every delivery's latency, and per event the first and last delivery.
  const all: number[] = [];
  // The same deliveries timed from when each append was due rather than when it was called: the
  // pacer runs on the service's event loop, so a busy loop delays the call and would otherwise
  // hide that wait (coordinated omission).
  const fromDue: number[] = [];
  const firstRecv = new Float64Array(issued).fill(Infinity);
  const lastRecv = new Float64Array(issued).fill(-Infinity);
  const receivedBy = new Uint32Array(issued);
  let duplicates = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  const errors: string[] = [];
  let completed = 0;
  for (const subscriber of subscribers) {
    duplicates += subscriber.duplicates;
    outOfOrder += subscriber.outOfOrder;
    unexpected += subscriber.unexpected;
    if (subscriber.completed) completed++;
    for (const error of subscriber.errors) if (errors.length < 10) errors.push(`#${subscriber.index}: ${error}`);
    for (let seq = 0; seq < issued; seq++) {
      const latency = subscriber.latency[seq] as number;
      if (Number.isNaN(latency)) continue;
      // A delivery of an event whose append failed would still count as received (it committed).
      all.push(latency);
      fromDue.push(latency + ((raw.lateness[seq] as number) || 0));
      receivedBy[seq]!++;
      if (latency < firstRecv[seq]!) firstRecv[seq] = latency;
      if (latency > lastRecv[seq]!) lastRecv[seq] = latency;
    }
  }
  const expected = raw.committed * s.subscribers;
  const received = all.length;
  // Lost: a committed event some subscriber never got.
  let lost = 0;
  let eventsWithLoss = 0;
  for (let seq = 0; seq < issued; seq++) {
    if (Number.isNaN(raw.committedAt[seq] as number)) continue;
    const missing = s.subscribers - Math.min(s.subscribers, receivedBy[seq]!);
    lost += missing;
    if (missing > 0) eventsWithLoss++;
  }
  const latency = rounded(summarize(all));
  const dueLatency = rounded(summarize(fromDue));
  const windowSeconds = (raw.lastCommit - raw.start) / 1000;
  const achievedRate = windowSeconds > 0 ? raw.committed / windowSeconds : 0;
  const met = latency.p99 <= TARGET_P99_MS && lost === 0 && raw.committed === issued && issued === raw.count && achievedRate >= s.rate * MIN_RATE_SHARE;

  // Where the time goes, per event, from the moment the bench called append (ms).
  const stages = stageBreakdown(raw, firstRecv, lastRecv);

  // Per second of the run: how many went out and the tail of their deliveries.
  const timeline: Array<{ second: number; sent: number; p99: number; max: number }> = [];
  const perSecond = new Map<number, number[]>();
  const sentPerSecond = new Map<number, number>();
  for (let seq = 0; seq < issued; seq++) {
    const t = raw.sentAt[seq] as number;
    if (Number.isNaN(t)) continue;
    const second = Math.floor((t - raw.start) / 1000);
    sentPerSecond.set(second, (sentPerSecond.get(second) ?? 0) + 1);
    let list = perSecond.get(second);
    if (!list) perSecond.set(second, (list = []));
    for (const subscriber of subscribers) {
      const value = subscriber.latency[seq] as number;
      if (!Number.isNaN(value)) list.push(value);
    }
  }
  for (const [second, values] of [...perSecond.entries()].sort((a, b) => a[0] - b[0])) {
    const summary = summarize(values);
    timeline.push({ second, sent: sentPerSecond.get(second) ?? 0, p99: round(summary.p99), max: round(summary.max) });
  }

  // The append itself: time in each of its SQL statements per committed
  // append, against the whole append as the bench saw it. Statements of other transactions
  // (the engine's sweeps) are few and excluded by label.
  const perAppend = (label: string): number => {
    const q = raw.probeReport.queries.find((entry) => entry.label === label);
    return q && raw.committed > 0 ? (q.count * q.mean) / raw.committed : 0;
  };
  const appendSql = {
    begin: perAppend('BEGIN'),
    lockSessionRow: perAppend('lock session row (SELECT … FOR NO KEY UPDATE)'),
    insertEvent: perAppend('insert event'),
    pgNotify: perAppend('pg_notify'),
    commit: perAppend('COMMIT'),
    oneStatement: perAppend('append in one statement (lock + insert + notify)'),
  };
  const appendTotal = (stages.allMeans as Record<string, number>).committed ?? NaN;
  const inSql = Object.values(appendSql).reduce((sum, value) => sum + value, 0);
  const appendBreakdownMs = rounded({ total: appendTotal, ...appendSql, outsideSql: appendTotal - inSql });

  // Capacity: service CPU (this whole process: appends, fan-out, ws) per delivery, and the
  // deliveries per second one fully busy core would sustain at that cost.
  const serviceCpuMs = raw.probeReport.cpu.userMs + raw.probeReport.cpu.systemMs;
  const cpuPerDeliveryUs = received > 0 ? (serviceCpuMs * 1000) / received : NaN;
  const capacity = {
    serviceCpuMs: round(serviceCpuMs),
    cpuPerDeliveryUs: round(cpuPerDeliveryUs),
    deliveriesPerCpuSecond: Math.round(1e6 / cpuPerDeliveryUs),
    eventsPerSecondAtThisFanOut: Math.round(1e6 / cpuPerDeliveryUs / s.subscribers),
  };

  const clientCpu = raw.collected.map((c) => rounded({ userMs: c.cpu.userMs, systemMs: c.cpu.systemMs, wallMs: c.wallMs, utilisation: (c.cpu.userMs + c.cpu.systemMs) / c.wallMs }));
  const figure =
    (s.append === 'sql' ? 'DIAGNOSTIC (one-statement SQL append, not EventService.append): ' : '') +
    `${s.warmupSeconds > 0 ? `after a ${s.warmupSeconds} s warm-up` : 'no warm-up'}, ${s.client} clients: p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (p99 ${ms(dueLatency.p99)} timed from each append's due time); ` +
    `${received}/${expected} delivered, ${lost} lost, ${duplicates} dup; ${issued}/${raw.count} events sent, ${achievedRate.toFixed(0)} events/s achieved`;

  return {
    figure,
    met,
    details: {
      settings: s,
      latencyMs: latency,
      latencyFromDueMs: dueLatency,
      eventsPlanned: raw.count,
      eventsSent: issued,
      eventsCommitted: raw.committed,
      appendFailures: raw.failed,
      firstAppendError: raw.firstError,
      appendsUnsettled: raw.unsettled,
      deliveriesExpected: expected,
      deliveriesReceived: received,
      lost,
      eventsWithLoss,
      duplicates,
      outOfOrder,
      unexpectedItems: unexpected,
      subscriberErrors: errors,
      subscribersCompleted: completed,
      achievedRatePerSecond: round(achievedRate),
      windowSeconds: round(windowSeconds),
      pacing: { lateness: rounded(summarize(raw.lateness)), capStalls: raw.capStalls },
      drainMs: Math.round(raw.drainMs),
      clockOffsets: raw.offsets.map((o) => rounded(o)),
      stagesMs: stages,
      appendBreakdownMs: s.append === 'service' ? appendBreakdownMs : null,
      capacity,
      timeline,
      machineDuringRun: raw.machine,
      cpuProfile: raw.profile,
      service: raw.probeReport,
      clients: { cpu: clientCpu, eventLoopDelayMs: raw.collected.map((c) => rounded(c.eventLoopDelay)) },
    },
  };
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Per event, times since `sentAt` at each step: append committed (the promise resolved), the
 * live reader's query returned it, first/last subscriber queue push, first/last WebSocket send,
 * first/last delivery. Over all events, and over the 1% with the slowest last delivery.
 */
function stageBreakdown(raw: Raw, firstRecv: Float64Array, lastRecv: Float64Array): Record<string, unknown> {
  const names = ['committed', 'readReturned', 'firstPush', 'lastPush', 'firstWsSend', 'lastWsSend', 'firstDelivery', 'lastDelivery'] as const;
  type Row = Record<(typeof names)[number], number>;
  const rows: Row[] = [];
  for (let seq = 0; seq < raw.issued; seq++) {
    const sent = raw.sentAt[seq] as number;
    const id = raw.ids[seq] as number;
    if (Number.isNaN(sent) || Number.isNaN(id)) continue;
    const pushed = raw.probes.pushed.get(id);
    const sentFrames = raw.probes.wsSent.get(id);
    const readAt = raw.probes.readDone.get(id);
    rows.push({
      committed: (raw.committedAt[seq] as number) - sent,
      readReturned: readAt === undefined ? NaN : readAt - sent,
      firstPush: pushed ? pushed.first - sent : NaN,
      lastPush: pushed ? pushed.last - sent : NaN,
      firstWsSend: sentFrames ? sentFrames.first - sent : NaN,
      lastWsSend: sentFrames ? sentFrames.last - sent : NaN,
      firstDelivery: Number.isFinite(firstRecv[seq]!) ? firstRecv[seq]! : NaN,
      lastDelivery: Number.isFinite(lastRecv[seq]!) ? lastRecv[seq]! : NaN,
    });
  }
  const summarise = (subset: Row[]): Record<string, Summary> =>
    Object.fromEntries(
      names.map((name) => [name, rounded(summarize(subset.map((row) => row[name]).filter((value) => !Number.isNaN(value))))]),
    );
  const slowest = [...rows].sort((a, b) => b.lastDelivery - a.lastDelivery).slice(0, Math.max(1, Math.ceil(rows.length / 100)));
  const means = (subset: Row[]): Record<string, number> =>
    Object.fromEntries(names.map((name) => [name, round(summarize(subset.map((row) => row[name]).filter((v) => !Number.isNaN(v))).mean)]));
  return { all: summarise(rows), slowest1PercentMeans: means(slowest), allMeans: means(rows) };
}

/** A one-screen account of where the time went, for the operator (stderr). */
function describeStages(details: Record<string, unknown>): string {
  const stages = details.stagesMs as { all: Record<string, Summary> } | undefined;
  if (!stages) return '';
  return Object.entries(stages.all)
    .map(([name, summary]) => `  ${name.padEnd(14)} p50 ${ms(summary.p50, 2).padStart(10)}  p99 ${ms(summary.p99, 2).padStart(10)}  max ${ms(summary.max, 2).padStart(10)}`)
    .join('\n');
}
