// `npm run bench`: performance measures against a throwaway embedded PostgreSQL. Never part of
// the unit tests. Prints a markdown table and writes bench/results/<YYYY-MM-DD>.json.
//
//   npm run bench                 every measure
//   npm run bench -- live-events  only the named ones; writes <YYYY-MM-DD>-<measures>.json
//   BENCH_…=… npm run bench       a diagnostic run with changed knobs (see each measure); it
//                                 writes <YYYY-MM-DD>-diagnostic-<measures>.json, never the day's file
//
// It reports; it does not fail: a missed target still exits 0 (a measure that errors exits 1).
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { liveEvents } from './liveEvents.js';
import { turnLatency } from './turnLatency.js';
import { httpThroughput } from './httpThroughput.js';
import { startup } from './startup.js';
import { memory } from './memory.js';
import { bigTables } from './bigTables.js';
import { scheduleLag } from './scheduleLag.js';
import { startBenchPostgres, type BenchPostgres } from './lib/postgres.js';
import { machineInfo, markdownTable, writeResults, type MeasureOutcome } from './lib/report.js';
import type { BenchContext, Measure } from './lib/types.js';

/** Every measure, in the order they run. Add new ones here. */
const MEASURES: readonly Measure[] = [liveEvents, httpThroughput, turnLatency, startup, memory, bigTables, scheduleLag];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** The run's PostgreSQL while it is up, so that the watchdog can stop it too. */
let postgres: BenchPostgres | undefined;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !MEASURES.some((measure) => measure.name === name));
  if (unknown.length > 0) {
    log(`unknown measure(s): ${unknown.join(', ')}; known: ${MEASURES.map((m) => m.name).join(', ')}`);
    return 2;
  }
  const selected = wanted.length ? MEASURES.filter((measure) => wanted.includes(measure.name)) : MEASURES;

  const startedAt = new Date();
  const started = performance.now();
  // Taken before anything runs: the load average is the machine's, not the bench's.
  const machine = machineInfo();
  const [load1] = os.loadavg();
  const cpus = os.cpus().length;
  if (load1 !== undefined && load1 > cpus * 0.5) {
    log(`WARNING: the machine is busy (1-min load ${load1.toFixed(2)} on ${cpus} CPUs): figures will be pessimistic and noisy`);
  }
  const outcomes: MeasureOutcome[] = [];
  try {
    postgres = await startBenchPostgres(log);
    const pgHandle = postgres;
    let scratchCount = 0;
    const ctx: BenchContext = {
      createDatabase: () => pgHandle.createDatabase(),
      scratchDir: async (name) => {
        const dir = join(pgHandle.scratch, `${String(++scratchCount).padStart(2, '0')}-${name}`);
        await mkdir(dir, { recursive: true, mode: 0o755 });
        return dir;
      },
      log,
      root: ROOT,
    };
    for (const measure of selected) {
      log(`measure ${measure.name}: starting`);
      const measureStarted = performance.now();
      try {
        const result = await withTimeout(measure.run(ctx), measure.timeoutMs ?? DEFAULT_TIMEOUT_MS, `measure ${measure.name}`);
        outcomes.push({ name: measure.name, target: measure.target, ...result, durationMs: Math.round(performance.now() - measureStarted) });
      } catch (error) {
        log(`measure ${measure.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        outcomes.push({
          name: measure.name,
          target: measure.target,
          figure: '',
          met: false,
          details: {},
          durationMs: Math.round(performance.now() - measureStarted),
          error: error instanceof Error ? error.message : String(error),
        });
      }
      log(`measure ${measure.name}: done in ${((performance.now() - measureStarted) / 1000).toFixed(1)} s`);
    }
  } finally {
    await postgres?.stop();
    postgres = undefined;
  }

  const totalMs = performance.now() - started;
  console.log('\n' + markdownTable(outcomes) + '\n');
  const knobs = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('BENCH_') && entry[1] !== undefined));
  const file = await writeResults(RESULTS_DIR, startedAt, totalMs, outcomes, knobs, machine, selected.length < MEASURES.length);
  log(`results written to ${file}; the bench took ${(totalMs / 1000).toFixed(1)} s`);
  return outcomes.some((outcome) => outcome.error) ? 1 : 0;
}

// A last resort: whatever happens, the bench ends (every measure has its own deadlines too).
const watchdog = setTimeout(() => {
  log('watchdog: the bench ran for 40 minutes; giving up');
  const stopped = postgres ? postgres.stop() : Promise.resolve();
  const cap = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
  void Promise.race([stopped, cap]).finally(() => process.exit(1));
}, 40 * 60_000);
watchdog.unref();

// Interrupted: still stop PostgreSQL and remove the scratch dir.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    const stopped = postgres ? postgres.stop() : Promise.resolve();
    const cap = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
    void Promise.race([stopped, cap]).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
