// Measure: the latency and throughput of a turn (`POST /sessions/{id}/turn`, wait_for_completion)
// with a zero-latency model, so that the figure is the service's own cost.
//
//   (a) turn p50 vs its ceiling: the same database work done by hand over one `pg` connection in
//       one transaction (bench/lib/rawTurn.ts lists it). Measured in alternating blocks on the
//       same database so that machine load drifts hit both alike. Target ≤ 2×.
//   (b) turn p50 of turns 181–200 of one session vs its turns 1–20 (the conversation, events and
//       runs of the session grow). Target ≤ 1.5×.
//   (c) 20 sessions, one client each, looping turns for ~10 s: turns/s, with a V8 CPU profile of
//       this process (the service runs here) summarising where the time goes.
//
// The service runs in this process (startService, port 0) with the real agent (AntonAgent) in
// front of an in-process provider that answers at once (bench/lib/zeroModel.ts): a turn recalls
// memory, loads and appends the conversation, appends its events and saves its summary exactly as
// a one-round turn does. The HTTP clients (fetch) run in this process too: their cost is small
// next to a turn's and shows in the profile under `undici`.
//
// Knobs: BENCH_TURN_SAMPLES (100 per side for (a)), BENCH_TURN_HISTORY (200 turns for (b)),
// BENCH_TURN_SESSIONS (20) and BENCH_TURN_SECONDS (10) for (c), BENCH_QUICK=1 (short everything).
import { startCpuProfile } from './lib/cpuProfile.js';
import { inclusiveTimes } from './lib/profileInclusive.js';
import { createSession, startBenchService, turn, type BenchService } from './lib/benchService.js';
import { intFromEnv, QUICK, round } from './lib/knobs.js';
import { rawTurnRunner, type RawTurnRunner } from './lib/rawTurn.js';
import { captureSql } from './lib/sqlCapture.js';
import { ms, rounded, summarize } from './lib/stats.js';
import { watchMachineLoad } from './lib/system.js';
import type { BenchContext, Measure, MeasureResult } from './lib/types.js';

const TARGET_VS_RAW = 2;
const TARGET_HISTORY = 1.5;

interface Settings {
  samples: number;
  block: number;
  history: number;
  window: number;
  sessions: number;
  seconds: number;
}

function settings(): Settings {
  const history = intFromEnv('BENCH_TURN_HISTORY', QUICK ? 60 : 200, 40);
  return {
    samples: intFromEnv('BENCH_TURN_SAMPLES', QUICK ? 30 : 100, 10),
    block: 10,
    history,
    window: 20,
    sessions: intFromEnv('BENCH_TURN_SESSIONS', 20),
    seconds: intFromEnv('BENCH_TURN_SECONDS', QUICK ? 4 : 10),
  };
}

export const turnLatency: Measure = {
  name: 'turn-latency',
  target: 'turn p50 ≤ 2× a raw pg transaction of the same writes; turns 181–200 p50 ≤ 1.5× turns 1–20; 20 sessions: turns/s reported',
  timeoutMs: 4 * 60_000,
  run: (ctx) => runTurnLatency(ctx, settings()),
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function runTurnLatency(ctx: BenchContext, s: Settings): Promise<MeasureResult> {
  let bench: BenchService | undefined;
  let raw: RawTurnRunner | undefined;
  try {
    bench = await startBenchService(ctx, 'turn-latency');
    const base = bench.service.url;
    ctx.log(`service up at ${base}`);

    // ---- (a) turn vs raw transaction ----------------------------------------------------
    const machineA = watchMachineLoad();
    await createSession(base, 'bench-turn-a');
    await createSession(base, 'bench-turn-raw');
    raw = await rawTurnRunner(bench.database.url, bench.config.memory.recallMaxItems);
    // Warm-up: JIT, pools, caches, plans on both sides.
    for (let i = 0; i < 20; i++) {
      await turn(base, 'bench-turn-a', `warm-up ${i}`);
      await raw.turn('bench-turn-raw', `warm-up ${i}`);
    }
    // What one service turn sends to PostgreSQL (for the report).
    const trace = captureSql();
    await turn(base, 'bench-turn-a', 'traced turn');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const serviceStatements = trace.sequence().map((sql) => sql.slice(0, 160));
    trace.stop();
    const serviceMs: number[] = [];
    const rawMs: number[] = [];
    for (let done = 0; done < s.samples; done += s.block) {
      for (let i = 0; i < s.block; i++) serviceMs.push(await timed(() => turn(base, 'bench-turn-a', `analyse the churn ${done + i}`)));
      const r = raw;
      for (let i = 0; i < s.block; i++) rawMs.push(await timed(() => r.turn('bench-turn-raw', `analyse the churn ${done + i}`)));
    }
    const serviceSummary = rounded(summarize(serviceMs));
    const rawSummary = rounded(summarize(rawMs));
    const ratioA = serviceSummary.p50 / rawSummary.p50;
    const loadA = machineA();
    ctx.log(`(a) turn p50 ${ms(serviceSummary.p50, 2)} vs raw ${ms(rawSummary.p50, 2)}: ${ratioA.toFixed(2)}×`);

    // ---- (b) one session's history grows -------------------------------------------------
    const machineB = watchMachineLoad();
    await createSession(base, 'bench-turn-history');
    const historyMs: number[] = [];
    for (let i = 0; i < s.history; i++) historyMs.push(await timed(() => turn(base, 'bench-turn-history', `next question ${i}`)));
    const first = rounded(summarize(historyMs.slice(0, s.window)));
    const last = rounded(summarize(historyMs.slice(s.history - s.window)));
    const ratioB = last.p50 / first.p50;
    // The shape of the growth: p50 per block of 20 turns.
    const curve: Array<{ turns: string; p50: number }> = [];
    for (let from = 0; from < s.history; from += s.window) {
      curve.push({ turns: `${from + 1}–${Math.min(s.history, from + s.window)}`, p50: round(summarize(historyMs.slice(from, from + s.window)).p50) });
    }
    const loadB = machineB();
    ctx.log(`(b) turns ${s.history - s.window + 1}–${s.history} p50 ${ms(last.p50, 2)} vs 1–${s.window} ${ms(first.p50, 2)}: ${ratioB.toFixed(2)}×`);

    // ---- (c) 20 sessions looping ------------------------------------------------------------
    const ids = Array.from({ length: s.sessions }, (_, i) => `bench-turn-c-${i}`);
    for (const id of ids) await createSession(base, id);
    // A short warm-up at full concurrency, not measured.
    const loop = async (deadline: number, latencies: number[], counter: { turns: number; errors: number; firstError: string | null }): Promise<void> => {
      await Promise.all(
        ids.map(async (id) => {
          while (performance.now() < deadline) {
            const start = performance.now();
            try {
              await turn(base, id, `what changed since turn ${counter.turns}`);
              latencies.push(performance.now() - start);
              counter.turns++;
            } catch (error) {
              counter.errors++;
              counter.firstError ??= error instanceof Error ? error.message : String(error);
            }
          }
        }),
      );
    };
    await loop(performance.now() + 1500, [], { turns: 0, errors: 0, firstError: null });
    const machineC = watchMachineLoad();
    const cpuBefore = process.cpuUsage();
    const stopProfile = await startCpuProfile('turn-latency');
    const latencies: number[] = [];
    const counter = { turns: 0, errors: 0, firstError: null as string | null };
    const started = performance.now();
    await loop(started + s.seconds * 1000, latencies, counter);
    const elapsed = (performance.now() - started) / 1000;
    const profile = await stopProfile();
    const cpu = process.cpuUsage(cpuBefore);
    const loadC = machineC();
    // Top-down: the service's own functions and the layers a turn crosses.
    const inclusive = await inclusiveTimes(profile.file, /src\/|@prisma|@apollo|graphql\/|express\/|undici|pg\/lib/, 40);
    const turnsPerSecond = counter.turns / elapsed;
    const cpuMsPerTurn = (cpu.user + cpu.system) / 1000 / Math.max(1, counter.turns);
    ctx.log(`(c) ${s.sessions} sessions: ${turnsPerSecond.toFixed(1)} turns/s, ${cpuMsPerTurn.toFixed(2)} ms CPU of this process per turn; profile ${profile.file}`);
    ctx.log(`top self time:\n${profile.byPackage.slice(0, 10).map((p) => `  ${String(p.ms).padStart(6)} ms ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`).join('\n')}`);
    ctx.log(`inclusive (top-down):\n${inclusive.top.slice(0, 20).map((f) => `  ${String(f.ms).padStart(6)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`).join('\n')}`);
    ctx.log(profile.byFunction.slice(0, 15).map((f) => `  ${String(f.ms).padStart(6)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`).join('\n'));

    const metA = ratioA <= TARGET_VS_RAW;
    const metB = ratioB <= TARGET_HISTORY;
    const figure =
      `(a) p50 ${ms(serviceSummary.p50, 2)} vs raw ${ms(rawSummary.p50, 2)} = ${ratioA.toFixed(2)}× (≤ ${TARGET_VS_RAW}× ${metA ? 'met' : 'MISSED'}); ` +
      `(b) turns ${s.history - s.window + 1}–${s.history} ${ms(last.p50, 2)} vs 1–${s.window} ${ms(first.p50, 2)} = ${ratioB.toFixed(2)}× (≤ ${TARGET_HISTORY}× ${metB ? 'met' : 'MISSED'}); ` +
      `(c) ${s.sessions} sessions: ${turnsPerSecond.toFixed(1)} turns/s, p50 ${ms(summarize(latencies).p50)}, ${counter.errors} errors`;
    return {
      figure,
      met: metA && metB && counter.errors === 0,
      details: {
        settings: s,
        quick: QUICK,
        vsRaw: {
          serviceMs: serviceSummary,
          rawMs: rawSummary,
          ratioP50: round(ratioA),
          serviceStatementsPerTurn: serviceStatements.length,
          rawStatementsPerTurn: raw.statementsPerTurn,
          serviceStatements,
          machine: loadA,
        },
        history: { firstWindowMs: first, lastWindowMs: last, ratioP50: round(ratioB), p50ByBlock: curve, machine: loadB },
        concurrent: {
          sessions: s.sessions,
          seconds: round(elapsed),
          turns: counter.turns,
          turnsPerSecond: round(turnsPerSecond),
          errors: counter.errors,
          firstError: counter.firstError,
          latencyMs: rounded(summarize(latencies)),
          benchProcessCpu: { userMs: round(cpu.user / 1000), systemMs: round(cpu.system / 1000), msPerTurn: round(cpuMsPerTurn), coresBusy: round((cpu.user + cpu.system) / 1e6 / elapsed) },
          cpuProfile: profile,
          cpuProfileInclusive: inclusive,
          machine: loadC,
        },
      },
    };
  } finally {
    await raw?.close().catch(() => undefined);
    await bench?.close();
  }
}
