// Measure: `npm start` → healthy (`GET /health` answers 200), with the embedded PostgreSQL (no
// DATABASE_URL) in a scratch ANTON_HOME: on a fresh data dir (initdb included) and on an existing
// one (the same home, started again). Targets ≤ 10 s and ≤ 3 s.
//
// What is timed is the start itself: `npm start` runs scripts/start.mjs, which builds when dist
// is older than the sources; the measure brings dist up to date first (generate + build, untimed,
// reported in details.build) and checks afterwards that dist/server/main.js did not change during
// a window (a concurrent edit of src/ would make start.mjs build inside it: that sample is
// flagged). The clock starts just before spawning `npm start` and stops at the first 200 from
// /health (polled every 25 ms), so npm's own start-up (~0.3–0.5 s) is part of the figure, as a
// user would see it; details also give the service's own "listening" time from its log.
//
// Stopping: SIGTERM to the service's node process (the one running scripts/start.mjs, found
// under npm through /proc), then wait for npm, node and PostgreSQL to exit (the service stops
// its embedded PostgreSQL itself); anything still alive after 30 s gets SIGKILL. The floors
// printed beside (a start cannot beat their sum): the embedded PostgreSQL's own start on the same
// kind of data dir (`initdb` + start, start only), measured in this process, and a bare `node`
// that only imports the built service modules (dist/server/app.js) and exits.
//
// Knobs: BENCH_STARTUP_RUNS (3 of each; the figure is the slowest), BENCH_QUICK=1 (1 of each).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { intFromEnv, QUICK, round } from './lib/knobs.js';
import { commandLine, descendants, isAlive, killAll, waitUntilGone } from './lib/processTree.js';
import { summarize } from './lib/stats.js';
import { watchMachineLoad } from './lib/system.js';
import type { BenchContext, Measure, MeasureResult } from './lib/types.js';

const TARGET_FRESH_MS = 10_000;
const TARGET_EXISTING_MS = 3_000;
const HEALTH_TIMEOUT_MS = 60_000;

export const startup: Measure = {
  name: 'startup',
  target: '`npm start` to GET /health 200: ≤ 10 s on a fresh data dir, ≤ 3 s on an existing one',
  timeoutMs: 4 * 60_000,
  run: (ctx) => runStartup(ctx, intFromEnv('BENCH_STARTUP_RUNS', QUICK ? 1 : 3)),
};

// ---- dist freshness: the rule of scripts/start.mjs ------------------------------------------

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(target)) {
    if (name === 'generated') continue;
    newest = Math.max(newest, newestMtime(join(target, name)));
  }
  return newest;
}

const INPUTS = ['src', 'schema.graphql', 'codegen.yml', 'prisma/schema.prisma', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function entryOf(root: string): string {
  return join(root, 'dist', 'server', 'main.js');
}

function distIsStale(root: string): boolean {
  const entry = entryOf(root);
  const generated = existsSync(join(root, 'src', 'generated', 'graphql.ts')) && existsSync(join(root, 'src', 'generated', 'prisma', 'client.ts'));
  const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  return !generated || builtAt < Math.max(...INPUTS.map((input) => newestMtime(join(root, input))));
}

function ensureBuilt(ctx: BenchContext): { built: boolean; ms: number } {
  if (!distIsStale(ctx.root)) return { built: false, ms: 0 };
  ctx.log('dist is older than the sources: npm run generate && npm run build (not timed)');
  const started = performance.now();
  for (const script of ['generate', 'build']) {
    const result = spawnSync('npm', ['run', '--silent', script], { cwd: ctx.root, stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
    if (result.status !== 0) throw new Error(`npm run ${script} failed: ${result.stderr?.toString().slice(-2000) ?? result.error?.message}`);
  }
  return { built: true, ms: Math.round(performance.now() - started) };
}

// ---- one start ---------------------------------------------------------------------------------

function vmRssMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface StartSample {
  ms: number;
  /** When the service logged "Anton Service listening", ms after spawn (null if not seen). */
  listeningMs: number | null;
  /** When the service's node process (scripts/start.mjs) first showed up under npm, ms after spawn. */
  nodeSeenMs: number | null;
  /** VmRSS of the service's node process when it first answered (no forced GC), MiB. */
  rssMiB: number | null;
  /** The service's log lines as they arrived (ms after spawn): where the start-up time goes. */
  timeline: Array<{ ms: number; line: string }>;
  stopMs: number;
  stoppedCleanly: boolean;
  builtDuringWindow: boolean;
}

/** The ANTON_* settings of a user's `npm start`, with ours; no DATABASE_URL. */
function childEnv(home: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toUpperCase().startsWith('ANTON_') && name !== 'DATABASE_URL' && name !== 'NODE_OPTIONS' && !name.startsWith('npm_')) env[name] = value;
  }
  return { ...env, ANTON_HOME: home, ANTON_SERVICE_HOST: '127.0.0.1', ANTON_SERVICE_PORT: String(port), ANTON_LOG_LEVEL: 'info' };
}

async function startOnce(ctx: BenchContext, home: string): Promise<StartSample> {
  const port = await freePort();
  const entry = entryOf(ctx.root);
  const builtBefore = statSync(entry).mtimeMs;
  const started = performance.now();
  // `npm start` in the repository (as a user runs it), its data under ANTON_HOME=`home`.
  const child = spawn('npm', ['start', '--silent'], { cwd: ctx.root, env: childEnv(home, port), stdio: ['ignore', 'pipe', 'pipe'] });
  let listeningMs: number | null = null;
  let output = '';
  const timeline: Array<{ ms: number; line: string }> = [];
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    const at = Math.round(performance.now() - started);
    output = (output + text).slice(-8000);
    for (const line of text.split('\n')) if (line.trim() && timeline.length < 30) timeline.push({ ms: at, line: line.trim().slice(0, 140) });
    if (listeningMs === null && text.includes('Anton Service listening')) listeningMs = performance.now() - started;
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const seen = new Set<number>();
  // When npm has started the service's node process (polled with /health): npm's share of the time.
  let nodeSeenMs: number | null = null;
  const remember = (): void => {
    if (!child.pid) return;
    for (const pid of [child.pid, ...descendants(child.pid)]) {
      if (!seen.has(pid) && nodeSeenMs === null && commandLine(pid).includes('scripts/start.mjs') && commandLine(pid).startsWith('node')) {
        nodeSeenMs = performance.now() - started;
      }
      seen.add(pid);
    }
  };
  try {
    let healthyMs: number | null = null;
    while (performance.now() - started < HEALTH_TIMEOUT_MS && !exitedEarly) {
      remember();
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) {
          healthyMs = performance.now() - started;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    remember();
    const servicePid = [...seen].find((pid) => commandLine(pid).startsWith('node') && commandLine(pid).includes('scripts/start.mjs'));
    const rssMiB = servicePid ? vmRssMiB(servicePid) : null;
    if (healthyMs === null) throw new Error(`npm start was not healthy within ${HEALTH_TIMEOUT_MS / 1000} s (exited: ${exitedEarly}); output:\n${output}`);
    return { ms: healthyMs, nodeSeenMs, listeningMs, rssMiB, timeline, stopMs: 0, stoppedCleanly: false, builtDuringWindow: statSync(entry).mtimeMs !== builtBefore };
  } finally {
    // Stop: SIGTERM to the service's node process; npm and PostgreSQL follow it out.
    remember();
    const stopStarted = performance.now();
    const all = [...seen];
    const service = all.find((pid) => commandLine(pid).includes('scripts/start.mjs') && commandLine(pid).startsWith('node'));
    const target = service ?? child.pid;
    if (target && isAlive(target)) process.kill(target, 'SIGTERM');
    const clean = await waitUntilGone(all, 30_000);
    if (!clean) {
      ctx.log(`processes still alive 30 s after SIGTERM: ${all.filter(isAlive).map((pid) => `${pid} ${commandLine(pid)}`).join('; ')}; SIGKILL`);
      killAll(all.filter(isAlive));
      await waitUntilGone(all, 5000);
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    stopInfo.set(home, { stopMs: performance.now() - stopStarted, clean, processes: all.length, serviceFound: service !== undefined });
  }
}

const stopInfo = new Map<string, { stopMs: number; clean: boolean; processes: number; serviceFound: boolean }>();

/** A bare node that only imports the built service modules (dist/server/app.js) and exits. */
function importOnlyMs(root: string): number {
  const app = pathToFileURL(join(root, 'dist', 'server', 'app.js')).href;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(app)}).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`importing dist/server/app.js failed: ${result.stderr?.toString().slice(-1000)}`);
  return performance.now() - started;
}

/** The embedded PostgreSQL alone on the same kind of data dir: the floor under a start. */
async function postgresCeiling(dir: string): Promise<{ freshMs: number; existingMs: number }> {
  let started = performance.now();
  let handle = await startEmbeddedPostgres({ dataDir: dir });
  const freshMs = performance.now() - started;
  await handle.stop();
  started = performance.now();
  handle = await startEmbeddedPostgres({ dataDir: dir });
  const existingMs = performance.now() - started;
  await handle.stop();
  return { freshMs, existingMs };
}

async function runStartup(ctx: BenchContext, runs: number): Promise<MeasureResult> {
  const build = ensureBuilt(ctx);
  const machine = watchMachineLoad();
  const fresh: StartSample[] = [];
  const existing: StartSample[] = [];
  const homes: string[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const home = await ctx.scratchDir(`startup-home-${i}`);
      homes.push(home);
      for (const [kind, list] of [['fresh', fresh], ['existing', existing]] as const) {
        const sample = await startOnce(ctx, home);
        const stop = stopInfo.get(home);
        sample.stopMs = Math.round(stop?.stopMs ?? NaN);
        sample.stoppedCleanly = stop?.clean ?? false;
        list.push(sample);
        ctx.log(
          `${kind} data dir: healthy in ${Math.round(sample.ms)} ms (node started by npm at ${sample.nodeSeenMs === null ? '?' : Math.round(sample.nodeSeenMs)} ms, service listening at ${sample.listeningMs === null ? '?' : Math.round(sample.listeningMs)} ms); ` +
            `stopped in ${sample.stopMs} ms${sample.stoppedCleanly ? '' : ' (NOT CLEANLY)'}${stop?.serviceFound ? '' : ' (service process not found: SIGTERM went to npm)'}`,
        );
      }
    }
    const ceilingDir = await ctx.scratchDir('startup-pg-ceiling');
    const ceiling = await postgresCeiling(join(ceilingDir, 'pgdata'));
    const importMs = importOnlyMs(ctx.root);
    const load = machine();
    const worst = (list: StartSample[]): number => Math.max(...list.map((sample) => sample.ms));
    const freshMs = worst(fresh);
    const existingMs = worst(existing);
    const polluted = [...fresh, ...existing].some((sample) => sample.builtDuringWindow);
    const clean = [...fresh, ...existing].every((sample) => sample.stoppedCleanly);
    const met = freshMs <= TARGET_FRESH_MS && existingMs <= TARGET_EXISTING_MS && !polluted && clean;
    const summary = (list: StartSample[]) => ({
      ms: list.map((sample) => Math.round(sample.ms)),
      nodeStartedMs: list.map((sample) => (sample.nodeSeenMs === null ? null : Math.round(sample.nodeSeenMs))),
      listeningMs: list.map((sample) => (sample.listeningMs === null ? null : Math.round(sample.listeningMs))),
      stopMs: list.map((sample) => sample.stopMs),
      rssMiBWhenHealthy: list.map((sample) => sample.rssMiB),
      logTimeline: list[list.length - 1]?.timeline ?? [],
      median: round(summarize(list.map((sample) => sample.ms)).p50, 0),
    });
    return {
      figure:
        `fresh ${(freshMs / 1000).toFixed(2)} s (${(freshMs / TARGET_FRESH_MS).toFixed(2)}× target), existing ${(existingMs / 1000).toFixed(2)} s (${(existingMs / TARGET_EXISTING_MS).toFixed(2)}× target), slowest of ${runs}; ` +
        `floors: embedded PostgreSQL alone ${(ceiling.freshMs / 1000).toFixed(2)} s / ${(ceiling.existingMs / 1000).toFixed(2)} s, node importing the service ${(importMs / 1000).toFixed(2)} s` +
        (polluted ? '; A BUILD RAN DURING A WINDOW (sources changed): figure invalid' : '') +
        (clean ? '' : '; A START DID NOT STOP CLEANLY'),
      met,
      details: { runs, quick: QUICK, build, fresh: summary(fresh), existing: summary(existing), postgresAloneMs: { fresh: Math.round(ceiling.freshMs), existing: Math.round(ceiling.existingMs) }, nodeImportOnlyMs: Math.round(importMs), machine: load },
    };
  } finally {
    for (const home of homes) await rm(home, { recursive: true, force: true }).catch(() => undefined);
  }
}
