// Measure: resident memory (RSS) of a service process idle, and after 150 sessions and 7,500 runs
// (50 turns per session, zero-latency model), and whether it grows with the number of sessions:
// RSS after 50 sessions vs after 150. Target (the issue gives the numbers to report, not a bound;
// this one is the measure's): RSS after 150 sessions ≤ RSS after 50 sessions + 10%, i.e. nothing
// kept per session or per run.
//
// The service runs in a child process (bench/lib/serviceChild.ts under `node --expose-gc --import
// tsx`) on a fresh database of the run's PostgreSQL, with the real agent in front of a zero-latency
// provider; the bench drives `POST /sessions` and `POST /sessions/{id}/turn` (wait) over HTTP, 20
// sessions at a time, each session's 50 turns in order. At each checkpoint the child runs two full
// GCs and the bench reads VmRSS from /proc/<pid>/status (heapUsed and external come from the
// child). The floor beside it: the same runtime with nothing started (node + tsx's loader thread).
//
// Bounded: the turn phase stops after BENCH_MEMORY_MAX_SECONDS (300 s); a run cut short reports
// what it reached and does not meet the target. The child always gets SIGTERM, then SIGKILL.
//
// Knobs: BENCH_MEMORY_SESSIONS (150), BENCH_MEMORY_RUNS (50 per session), BENCH_MEMORY_CONCURRENCY
// (20), BENCH_MEMORY_MAX_SECONDS (300), BENCH_QUICK=1 (30 sessions × 10 runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSession, turn } from './lib/benchService.js';
import { intFromEnv, QUICK, round } from './lib/knobs.js';
import type { ChildReply } from './lib/serviceChild.js';
import { watchMachineLoad } from './lib/system.js';
import type { BenchContext, BenchDatabase, Measure, MeasureResult } from './lib/types.js';

const CHILD = fileURLToPath(new URL('./lib/serviceChild.ts', import.meta.url));
const MAX_GROWTH = 0.1;

interface Settings {
  sessions: number;
  runs: number;
  concurrency: number;
  maxSeconds: number;
}

function settings(): Settings {
  return {
    sessions: intFromEnv('BENCH_MEMORY_SESSIONS', QUICK ? 30 : 150, 3),
    runs: intFromEnv('BENCH_MEMORY_RUNS', QUICK ? 10 : 50),
    concurrency: intFromEnv('BENCH_MEMORY_CONCURRENCY', 20),
    maxSeconds: intFromEnv('BENCH_MEMORY_MAX_SECONDS', 300),
  };
}

export const memory: Measure = {
  name: 'memory',
  target: 'RSS reported idle and after 150 sessions × 50 runs; RSS after 150 sessions ≤ RSS after 50 sessions + 10%',
  timeoutMs: 7 * 60_000,
  run: (ctx) => runMemory(ctx, settings()),
};

interface Child {
  process: ChildProcess;
  url: string | null;
  pid: number;
  stderr(): string;
  gc(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

function vmRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

async function startChild(ctx: BenchContext, env: Record<string, string>): Promise<Child> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toUpperCase().startsWith('ANTON_') && name !== 'DATABASE_URL' && name !== 'NODE_OPTIONS') clean[name] = value;
  }
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD], {
    cwd: ctx.root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const waitFor = <T extends ChildReply['type']>(type: T, timeoutMs: number): Promise<Extract<ChildReply, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ChildReply): void => {
        if (message.type !== type) return;
        cleanup();
        resolve(message as Extract<ChildReply, { type: T }>);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`child: no '${type}' within ${timeoutMs} ms; stderr:\n${stderr}`));
      }, timeoutMs);
      void exited.then(() => {
        cleanup();
        reject(new Error(`child exited while waiting for '${type}'; stderr:\n${stderr}`));
      });
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
    });
  try {
    const ready = await waitFor('ready', 60_000);
    return {
      process: child,
      url: ready.url,
      pid: ready.pid,
      stderr: () => stderr,
      gc: async () => {
        const done = waitFor('gc-done', 30_000);
        child.send({ type: 'gc' });
        return (await done).memory;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Checkpoint {
  label: string;
  sessions: number;
  runs: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
}

async function checkpoint(child: Child, label: string, sessions: number, runs: number): Promise<Checkpoint> {
  // Let timers and pending writes settle before the GC.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const usage = await child.gc();
  const mib = (bytes: number): number => round(bytes / 1024 ** 2, 1);
  return {
    label,
    sessions,
    runs,
    rssMiB: round(vmRssMiB(child.pid), 1),
    heapUsedMiB: mib(usage.heapUsed),
    externalMiB: mib(usage.external),
    arrayBuffersMiB: mib(usage.arrayBuffers),
  };
}

async function runMemory(ctx: BenchContext, s: Settings): Promise<MeasureResult> {
  let database: BenchDatabase | undefined;
  let child: Child | undefined;
  let floorChild: Child | undefined;
  try {
    // The floor: the runtime alone.
    floorChild = await startChild(ctx, { BENCH_CHILD_FLOOR: '1' });
    const floor = await checkpoint(floorChild, 'runtime alone (node + tsx loader)', 0, 0);
    await floorChild.stop();

    database = await ctx.createDatabase();
    const home = await ctx.scratchDir('memory-home');
    child = await startChild(ctx, { DATABASE_URL: database.url, ANTON_HOME: home, ANTON_SERVICE_PORT: '0', ANTON_SERVICE_HOST: '127.0.0.1' });
    const base = child.url!;
    const points: Checkpoint[] = [floor, await checkpoint(child, 'idle (started, no request yet)', 0, 0)];
    ctx.log(`floor ${floor.rssMiB} MiB; idle service ${points[1]!.rssMiB} MiB`);

    const machine = watchMachineLoad();
    const deadline = performance.now() + s.maxSeconds * 1000;
    let runsDone = 0;
    let sessionsDone = 0;
    let cutShort = false;
    const phase = async (from: number, to: number): Promise<void> => {
      let next = from;
      const worker = async (): Promise<void> => {
        while (next < to && !cutShort) {
          const id = `bench-mem-${next++}`;
          await createSession(base, id);
          for (let run = 0; run < s.runs; run++) {
            if (performance.now() > deadline) {
              cutShort = true;
              return;
            }
            await turn(base, id, `turn ${run} of ${id}: summarise revenue by region`);
            runsDone++;
          }
          sessionsDone++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(s.concurrency, to - from) }, worker));
    };
    const third = Math.max(1, Math.round(s.sessions / 3));
    const started = performance.now();
    await phase(0, third);
    if (!cutShort) {
      points.push(await checkpoint(child, `after ${sessionsDone} sessions`, sessionsDone, runsDone));
      ctx.log(`after ${sessionsDone} sessions / ${runsDone} runs: ${points.at(-1)!.rssMiB} MiB (${((runsDone / (performance.now() - started)) * 1000).toFixed(1)} turns/s)`);
      await phase(third, s.sessions);
    }
    const elapsed = (performance.now() - started) / 1000;
    points.push(await checkpoint(child, `after ${sessionsDone} sessions${cutShort ? ' (CUT SHORT)' : ''}`, sessionsDone, runsDone));
    const load = machine();
    ctx.log(`after ${sessionsDone} sessions / ${runsDone} runs: ${points.at(-1)!.rssMiB} MiB; ${elapsed.toFixed(0)} s`);

    const idle = points[1]!;
    const atThird = points.length === 4 ? points[2]! : null;
    const end = points.at(-1)!;
    const growth = atThird ? (end.rssMiB - atThird.rssMiB) / atThird.rssMiB : NaN;
    const perSessionKiB = atThird && end.sessions > atThird.sessions ? ((end.rssMiB - atThird.rssMiB) * 1024) / (end.sessions - atThird.sessions) : NaN;
    const met = !cutShort && atThird !== null && growth <= MAX_GROWTH;
    return {
      figure:
        `RSS idle ${idle.rssMiB} MiB, after ${end.sessions} sessions / ${end.runs} runs ${end.rssMiB} MiB (runtime alone ${floor.rssMiB} MiB); ` +
        (atThird ? `${atThird.sessions} → ${end.sessions} sessions: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% (${perSessionKiB.toFixed(0)} KiB/session)` : 'no mid-point') +
        (cutShort ? `; CUT SHORT after ${s.maxSeconds} s (${runsDone}/${s.sessions * s.runs} runs)` : ''),
      met,
      details: {
        settings: s,
        quick: QUICK,
        checkpoints: points,
        growthAfterFirstThird: Number.isFinite(growth) ? round(growth) : null,
        kibPerSessionAfterFirstThird: Number.isFinite(perSessionKiB) ? round(perSessionKiB, 1) : null,
        turnsPerSecond: round(runsDone / elapsed, 1),
        cutShort,
        machine: load,
      },
    };
  } catch (error) {
    if (child) ctx.log(`service child stderr:\n${child.stderr()}`);
    throw error;
  } finally {
    await floorChild?.stop().catch(() => undefined);
    await child?.stop().catch(() => undefined);
    await database?.drop().catch((error: unknown) => ctx.log(`dropping the database failed: ${String(error)}`));
  }
}
