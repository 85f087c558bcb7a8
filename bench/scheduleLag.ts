// Measure: how late do schedules fire? 100 schedules at a 1-second interval on ONE service
// process with the scheduler on (Agenda 6 on the service's PostgreSQL), for 30 s after a warm-up.
// Target (the issue): fire lag p99 ≤ 1 s, and every slot fired exactly once.
//
// Fire lag = the fired run's created_at − its slot (the slot is in the run's idempotency key,
// `schedule:<id>:<slot epoch ms>`), as test/integration/schedules/exactness.test.ts measures it;
// both clocks are the database host's. Exactly once = for every schedule, the slots of the
// measured window are all there, each once, one interval apart (no gap, no duplicate), and
// there is one automatic `schedule_triggered` event per fire.
//
// Where a late fire's time went: the bench wraps ScheduleService#fireDue in this process (a
// run-time probe; nothing in src/ changes), so each fire's lag splits into "Agenda called the
// job late" (fireDue start − slot) and "inside the fire transaction" (created_at − fireDue start).
//
// Poll: ANTON_SERVICE_SCHEDULER_POLL_SECONDS=0.5 by default. Agenda locks the jobs due before
// its next poll and fires each at its exact time on a timer; with the poll shorter than the
// 1-second interval, every slot is found by a regular poll up to 0.5 s ahead of it. With a poll
// at or above the interval (the production default is 5 s) every fire instead depends on the
// "next slot sooner than the next poll" notification the scheduler publishes after each fire
// (src/jobs/scheduler.ts); BENCH_SCHED_POLL_SECONDS=5 measures that path. A poll is one indexed
// query on agenda_jobs, so 2 a second cost nothing measurable.
//
// Knobs: BENCH_SCHED_SCHEDULES (100), BENCH_SCHED_SECONDS (30), BENCH_SCHED_WARMUP_SECONDS (5),
// BENCH_SCHED_POLL_SECONDS (0.5), BENCH_SCHED_BATCH_SIZE (20, the service default),
// BENCH_SCHED_WORKER_MODE (local; `queue` runs one queue worker, isolating the scheduler's own cost),
// BENCH_CPU_PROFILE (1: V8 CPU profile of the service process over the measured window).
import { rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { ScheduleService, type FireResult } from '../src/schedules/service.js';
import { startService, type RunningService } from '../src/server/app.js';
import { ScriptedAgent } from '../test/kit/agents.js';
import { startCpuProfile, type ProfileSummary } from './lib/cpuProfile.js';
import { withClient } from '../test/kit/db.js';
import { flagFromEnv, intFromEnv, numberFromEnv } from './lib/knobs.js';
import { ms, rounded, summarize } from './lib/stats.js';
import { watchMachineLoad } from './lib/system.js';
import type { BenchContext, BenchDatabase, Measure, MeasureResult } from './lib/types.js';

const TARGET_P99_MS = 1000;
const INTERVAL_MS = 1000;

interface Settings {
  schedules: number;
  seconds: number;
  warmupSeconds: number;
  pollSeconds: number;
  batchSize: number;
  /** `queue` with one worker: runs wait in the queue, so the figure is the scheduler's own, not the turns'. */
  workerMode: 'local' | 'queue';
  cpuProfile: boolean;
}

function settings(): Settings {
  return {
    schedules: intFromEnv('BENCH_SCHED_SCHEDULES', 100),
    seconds: intFromEnv('BENCH_SCHED_SECONDS', 30, 5),
    warmupSeconds: intFromEnv('BENCH_SCHED_WARMUP_SECONDS', 5, 0),
    pollSeconds: numberFromEnv('BENCH_SCHED_POLL_SECONDS', 0.5, 0.1, 60),
    batchSize: intFromEnv('BENCH_SCHED_BATCH_SIZE', 20),
    workerMode: process.env.BENCH_SCHED_WORKER_MODE === 'queue' ? 'queue' : 'local',
    cpuProfile: flagFromEnv('BENCH_CPU_PROFILE', false),
  };
}

export const scheduleLag: Measure = {
  name: 'schedule-lag',
  target: '100 schedules × 1 s on one process for 30 s: fire lag (run created_at − slot) p99 ≤ 1 s, every slot fired exactly once',
  timeoutMs: 4 * 60_000,
  run: (ctx) => runScheduleLag(ctx, settings()),
};

/** One call of fireDue that fired: when it started and ended (epoch ms). */
interface FireCall {
  startMs: number;
  endMs: number;
}

interface FireRow {
  scheduleId: string;
  slotMs: number;
  runId: string;
  createdMs: number;
}

async function runScheduleLag(ctx: BenchContext, s: Settings): Promise<MeasureResult> {
  let database: BenchDatabase | undefined;
  let home: string | undefined;
  let service: RunningService | undefined;
  let stopProfile: (() => Promise<ProfileSummary>) | null = null;
  const calls = new Map<string, FireCall>();
  const notDue = { count: 0 };
  const proto = ScheduleService.prototype;
  const originalFireDue = proto.fireDue;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  try {
    // The probe: every fireDue call in this process, by the run it created.
    proto.fireDue = async function (this: ScheduleService, id: string): Promise<FireResult> {
      const startMs = Date.now();
      const result = await originalFireDue.call(this, id);
      if (result.outcome === 'fired') calls.set(result.runId, { startMs, endMs: Date.now() });
      else if (result.outcome === 'not-due') notDue.count++;
      return result;
    };

    database = await ctx.createDatabase();
    home = await ctx.scratchDir('schedule-lag-home');
    const config = loadConfig(
      {
        ANTON_HOME: home,
        ANTON_SERVICE_PORT: '0',
        ANTON_SERVICE_HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        ANTON_LOG_LEVEL: 'silent',
        ANTON_SERVICE_SCHEDULER_ENABLED: 'true',
        ANTON_SERVICE_SCHEDULER_POLL_SECONDS: String(s.pollSeconds),
        ANTON_SERVICE_SCHEDULER_BATCH_SIZE: String(s.batchSize),
        ANTON_SERVICE_WORKER_MODE: s.workerMode,
        ANTON_SERVICE_QUEUE_WORKER_COUNT: '1',
      },
      { cwd: home, homeDir: home, readEnvFiles: false },
    );
    service = await startService({ config, databaseUrl: database.url, agent: new ScriptedAgent(), log: createLogger('silent'), cwd: home });
    const { services } = service;
    ctx.log(`service up at ${service.url}; scheduler poll ${config.scheduler.pollSeconds} s, batch ${config.scheduler.batchSize}, misfire grace ${config.scheduler.misfireGraceSeconds} s`);

    // A fresh process compiles its code paths on first use: a few skill turns first.
    const skill = await services.skills.create({ name: 'bench-tick', promptTemplate: 'Tick {n}.' });
    const warmSession = await services.sessions.create({});
    for (let index = 0; index < 5; index++) {
      await services.skills.run({ skillId: skill.id, sessionId: warmSession.id, params: { n: 'warm' }, waitForCompletion: true, waitTimeoutSeconds: 30 });
    }

    // One session per schedule (a session's runs execute one at a time, which is not under test).
    const sessions: string[] = [];
    for (let index = 0; index < s.schedules; index += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, s.schedules - index) }, () => services.sessions.create({})));
      sessions.push(...batch.map((session) => session.id));
    }
    const createdAt = Date.now();
    const firstSlots = new Map<string, number>();
    for (let index = 0; index < s.schedules; index += 10) {
      const batch = await Promise.all(
        sessions.slice(index, index + 10).map((sessionId, offset) =>
          services.schedules.create({ sessionId, skillId: skill.id, params: { n: String(index + offset) }, intervalSeconds: 1, startInSeconds: 1 }),
        ),
      );
      for (const schedule of batch) firstSlots.set(schedule.id, schedule.nextRunAt.getTime());
    }
    const firsts = [...firstSlots.values()];
    const phases = firsts.map((slot) => slot % INTERVAL_MS);
    ctx.log(`${s.schedules} schedules created in ${Date.now() - createdAt} ms; slot phases within the second: ${Math.min(...phases)}–${Math.max(...phases)} ms`);

    // The measured window: every schedule's slots in [windowStart, windowEnd).
    const windowStart = Math.max(...firsts) + s.warmupSeconds * 1000;
    const windowEnd = windowStart + s.seconds * 1000;
    await sleepUntil(windowStart);
    const machineWindow = watchMachineLoad();
    loopDelay.enable();
    if (s.cpuProfile) stopProfile = await startCpuProfile('schedule-lag');
    const cpuStart = process.cpuUsage();
    ctx.log(`measuring ${s.seconds} s of slots`);
    await sleepUntil(windowEnd);
    // Until every schedule fired its last slot of the window (or 15 s of grace passed).
    const lastSlot = (first: number): number => first + Math.floor((windowEnd - 1 - first) / INTERVAL_MS) * INTERVAL_MS;
    const waitDeadline = Date.now() + 15_000;
    let fires: FireRow[] = [];
    for (;;) {
      fires = await readFires(database.url);
      const latest = new Map<string, number>();
      for (const fire of fires) latest.set(fire.scheduleId, Math.max(latest.get(fire.scheduleId) ?? 0, fire.slotMs));
      if ([...firstSlots].every(([id, first]) => (latest.get(id) ?? 0) >= lastSlot(first)) || Date.now() > waitDeadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const cpu = process.cpuUsage(cpuStart);
    const profile = stopProfile ? await stopProfile() : null;
    stopProfile = null;
    loopDelay.disable();
    const machine = machineWindow();
    // No more fires: pause every schedule, then take the final record.
    await Promise.all([...firstSlots.keys()].map((id) => services.schedules.pause(id)));
    fires = await readFires(database.url);
    const triggered = await automaticTriggers(database.url);
    if (profile) ctx.log(`CPU profile: ${profile.file}\n${profile.byFunction.slice(0, 15).map((f) => `  ${String(f.ms).padStart(6)} ms  ${f.name}`).join('\n')}`);

    return analyse({ s, firstSlots, windowStart, windowEnd, fires, triggered, calls, notDue: notDue.count, machine, profile, cpu, loopDelay, ctx });
  } finally {
    proto.fireDue = originalFireDue;
    loopDelay.disable();
    if (stopProfile) await stopProfile().catch(() => undefined);
    await service?.close().catch((error: unknown) => ctx.log(`closing the service failed: ${String(error)}`));
    await database?.drop().catch((error: unknown) => ctx.log(`dropping the database failed: ${String(error)}`));
    if (home) await rm(home, { recursive: true, force: true });
  }
}

async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Every automatic fire, from the runs table (the slot is in the idempotency key). */
function readFires(url: string): Promise<FireRow[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ schedule_id: string; key: string; id: string; created_ms: string }>(
      `SELECT schedule_id, idempotency_key AS key, id, (extract(epoch FROM created_at) * 1000)::bigint AS created_ms
         FROM runs WHERE idempotency_key LIKE 'schedule:%'`,
    );
    return rows.map((row) => ({ scheduleId: row.schedule_id, slotMs: Number(row.key.split(':')[2]), runId: row.id, createdMs: Number(row.created_ms) }));
  });
}

/** Automatic schedule_triggered events: schedule id and slot (epoch ms) of each. */
function automaticTriggers(url: string): Promise<Array<{ scheduleId: string; slotMs: number }>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ schedule_id: string; scheduled_for: number }>(
      `SELECT payload->>'schedule_id' AS schedule_id, (payload->>'scheduled_for')::float8 AS scheduled_for
         FROM events WHERE event_type = 'schedule_triggered' AND payload->>'mode' = 'automatic'`,
    );
    return rows.map((row) => ({ scheduleId: row.schedule_id, slotMs: Math.round(row.scheduled_for * 1000) }));
  });
}

interface Raw {
  s: Settings;
  firstSlots: Map<string, number>;
  windowStart: number;
  windowEnd: number;
  fires: FireRow[];
  triggered: Array<{ scheduleId: string; slotMs: number }>;
  calls: Map<string, FireCall>;
  notDue: number;
  machine: ReturnType<ReturnType<typeof watchMachineLoad>>;
  profile: ProfileSummary | null;
  cpu: NodeJS.CpuUsage;
  loopDelay: ReturnType<typeof monitorEventLoopDelay>;
  ctx: BenchContext;
}

function analyse(raw: Raw): MeasureResult {
  const { s, windowStart, windowEnd } = raw;
  const inWindow = (slot: number): boolean => slot >= windowStart && slot < windowEnd;
  // Per schedule: its slots (all of them, warm-up included) and the window's expected slots.
  const bySchedule = new Map<string, number[]>();
  for (const fire of raw.fires) {
    let slots = bySchedule.get(fire.scheduleId);
    if (!slots) bySchedule.set(fire.scheduleId, (slots = []));
    slots.push(fire.slotMs);
  }
  let expected = 0;
  let missing = 0;
  let duplicates = 0;
  let offCadence = 0;
  const problems: string[] = [];
  for (const [id, first] of raw.firstSlots) {
    const slots = (bySchedule.get(id) ?? []).sort((a, b) => a - b);
    const seen = new Set<number>();
    for (const slot of slots) {
      if (seen.has(slot)) {
        duplicates++;
        if (problems.length < 10) problems.push(`${id}: slot ${slot} fired twice`);
      }
      seen.add(slot);
      if ((slot - first) % INTERVAL_MS !== 0) {
        offCadence++;
        if (problems.length < 10) problems.push(`${id}: slot ${slot} is off its cadence`);
      }
    }
    // From the first slot to the end of the window: each slot once (warm-up included, so that
    // a gap there counts too; only the window's slots count for the lag).
    for (let slot = first; slot < windowEnd; slot += INTERVAL_MS) {
      expected++;
      if (!seen.has(slot)) {
        missing++;
        if (problems.length < 10) problems.push(`${id}: slot ${slot} (${slot - first} ms after its first) never fired`);
      }
    }
  }
  const windowFires = raw.fires.filter((fire) => inWindow(fire.slotMs));
  const lags = windowFires.map((fire) => fire.createdMs - fire.slotMs);
  const lag = rounded(summarize(lags));
  // The split of each window fire's lag (fires this process made through the probe).
  const agendaLate: number[] = [];
  const inFire: number[] = [];
  for (const fire of windowFires) {
    const call = raw.calls.get(fire.runId);
    if (!call) continue;
    agendaLate.push(call.startMs - fire.slotMs);
    inFire.push(fire.createdMs - call.startMs);
  }
  // Per second of the window: fires and the worst lag.
  const perSecond = new Map<number, number[]>();
  for (const fire of windowFires) {
    const second = Math.floor((fire.slotMs - windowStart) / 1000);
    let list = perSecond.get(second);
    if (!list) perSecond.set(second, (list = []));
    list.push(fire.createdMs - fire.slotMs);
  }
  const timeline = [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([second, values]) => ({ second, fires: values.length, maxLagMs: Math.max(...values) }));
  const triggerKeys = new Set(raw.triggered.map((event) => `${event.scheduleId}:${event.slotMs}`));
  const firesWithoutEvent = raw.fires.filter((fire) => !triggerKeys.has(`${fire.scheduleId}:${fire.slotMs}`)).length;
  const exactlyOnce = missing === 0 && duplicates === 0 && offCadence === 0 && raw.triggered.length === raw.fires.length && firesWithoutEvent === 0;
  const met = lag.p99 <= TARGET_P99_MS && exactlyOnce && lags.length > 0;
  const wallSeconds = (windowEnd - windowStart) / 1000;
  const delay = raw.loopDelay;
  const figure =
    `fire lag p50 ${ms(lag.p50)}, p95 ${ms(lag.p95)}, p99 ${ms(lag.p99)}, max ${ms(lag.max)} over ${windowFires.length} fires ` +
    `(${s.schedules} schedules × ${s.seconds} s, poll ${s.pollSeconds} s); ` +
    (exactlyOnce ? 'every slot exactly once' : `NOT exactly once: ${missing} missing, ${duplicates} duplicated, ${offCadence} off cadence, ${raw.triggered.length}/${raw.fires.length} trigger events`) +
    `; load ${raw.machine.loadAverageAtEnd[0]}`;
  raw.ctx.log(figure);
  raw.ctx.log(`lag split (ms): Agenda called fireDue late p50 ${ms(summarize(agendaLate).p50)} p99 ${ms(summarize(agendaLate).p99)}; inside the fire p50 ${ms(summarize(inFire).p50)} p99 ${ms(summarize(inFire).p99)}`);
  return {
    figure,
    met,
    details: {
      settings: s,
      lagMs: lag,
      lagSplitMs: { agendaCalledLate: rounded(summarize(agendaLate)), insideFire: rounded(summarize(inFire)) },
      window: { start: new Date(windowStart).toISOString(), seconds: s.seconds, fires: windowFires.length, expectedFires: s.schedules * s.seconds },
      exactlyOnce: { ok: exactlyOnce, expectedSlots: expected, fires: raw.fires.length, missing, duplicates, offCadence, triggerEvents: raw.triggered.length, firesWithoutEvent, problems },
      fireDueNotDueCalls: raw.notDue,
      timeline,
      serviceProcess: {
        cpuMs: Math.round((raw.cpu.user + raw.cpu.system) / 1000),
        coresBusy: Math.round(((raw.cpu.user + raw.cpu.system) / 1e6 / wallSeconds) * 100) / 100,
        eventLoopDelayMs: rounded({ mean: delay.mean / 1e6, p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 }),
      },
      machineDuringRun: raw.machine,
      cpuProfile: raw.profile,
    },
  };
}
