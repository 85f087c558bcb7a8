// Measure: `GET /runs/{id}` throughput of the service against its ceiling, a bare express 5 +
// `pg` endpoint doing the same single-row SELECT of the same row in the same database and
// answering the same JSON shape (the REST run record). Target: service/bare ≥ 0.5.
//
// Both servers run in this process, one at a time (the idle one costs nothing); the load comes
// from autocannon 9 in a child process (bench/lib/autocannonChild.ts) so that the generator
// never shares the server's event loop. Same connections, same duration, same warm-up for both,
// and the windows alternate (bare, service, bare, service, …) so that drifting machine load
// falls on both sides alike. The figure is total 2xx responses / total measured seconds per side.
// CPU time of this process per request is reported beside it (what each side spends on a request).
//
// Knobs: BENCH_HTTP_CONNECTIONS (10), BENCH_HTTP_SECONDS (5 per window), BENCH_HTTP_ROUNDS (2
// windows per side), BENCH_HTTP_WARMUP_SECONDS (2), BENCH_CPU_PROFILE=1 (profile the service's
// windows), BENCH_QUICK=1 (1 round of 3 s).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { runAutocannon, type LoadResult, type LoadSettings } from './lib/autocannonChild.js';
import { createSession, startBenchService, turn, type BenchService } from './lib/benchService.js';
import { startCpuProfile, type ProfileSummary } from './lib/cpuProfile.js';
import { inclusiveTimes, type InclusiveEntry } from './lib/profileInclusive.js';
import { intFromEnv, QUICK, round } from './lib/knobs.js';
import { watchMachineLoad } from './lib/system.js';
import type { BenchContext, Measure, MeasureResult } from './lib/types.js';

const TARGET_RATIO = 0.5;

interface Settings extends LoadSettings {
  rounds: number;
  warmupSeconds: number;
  cpuProfile: boolean;
}

function settings(): Settings {
  return {
    connections: intFromEnv('BENCH_HTTP_CONNECTIONS', 10),
    seconds: intFromEnv('BENCH_HTTP_SECONDS', QUICK ? 3 : 5),
    pipelining: 1,
    rounds: intFromEnv('BENCH_HTTP_ROUNDS', QUICK ? 1 : 2),
    warmupSeconds: intFromEnv('BENCH_HTTP_WARMUP_SECONDS', 2),
    cpuProfile: process.env.BENCH_CPU_PROFILE === '1',
  };
}

export const httpThroughput: Measure = {
  name: 'http-throughput',
  target: 'GET /runs/{id} requests/s ≥ 0.5× a bare express 5 + pg endpoint doing the same SELECT',
  timeoutMs: 3 * 60_000,
  run: (ctx) => runHttpThroughput(ctx, settings()),
};

const epoch = (value: unknown): number | null => (value instanceof Date ? value.getTime() / 1000 : null);

/** The ceiling: express 5, a pg pool of the service's size, one SELECT, the REST run record. */
async function startBareServer(databaseUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const app = express();
  app.get('/runs/:id', async (req, res) => {
    try {
      const { rows } = await pool.query('SELECT * FROM runs WHERE id = $1', [req.params.id]);
      const run = rows[0] as Record<string, unknown> | undefined;
      if (!run) {
        res.status(404).json({ detail: `Unknown run_id '${req.params.id}'.` });
        return;
      }
      res.json({
        id: run.id,
        session_id: run.session_id,
        created_at: epoch(run.created_at),
        started_at: epoch(run.started_at),
        completed_at: epoch(run.completed_at),
        status: String(run.status).toLowerCase(),
        prompt: run.prompt,
        response: run.response,
        error: run.error,
        input_tokens: run.input_tokens,
        output_tokens: run.output_tokens,
        total_tokens: Number(run.input_tokens) + Number(run.output_tokens),
        tool_calls: run.tool_calls,
        cancel_requested: run.cancel_requested,
        worker_mode: String(run.worker_mode).toLowerCase(),
        pending_approval_ids: run.pending_approval_ids,
      });
    } catch {
      res.status(500).json({ detail: 'Internal Server Error' });
    }
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

interface Window {
  side: 'service' | 'bare';
  result: LoadResult;
  cpuMs: number;
}

async function measureWindow(side: Window['side'], url: string, s: LoadSettings): Promise<Window> {
  const before = process.cpuUsage();
  const result = await runAutocannon(url, s);
  const cpu = process.cpuUsage(before);
  return { side, result, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function runHttpThroughput(ctx: BenchContext, s: Settings): Promise<MeasureResult> {
  let bench: BenchService | undefined;
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  try {
    bench = await startBenchService(ctx, 'http-throughput');
    const base = bench.service.url;
    await createSession(base, 'bench-http');
    const { run_id: runId } = await turn(base, 'bench-http', 'a run to read');
    bare = await startBareServer(bench.database.url);
    const targets = { service: `${base}/runs/${runId}`, bare: `${bare.url}/runs/${runId}` };

    // The same row, the same shape (reported; a mismatch would make the comparison unfair).
    const bodies = await Promise.all([fetch(targets.service), fetch(targets.bare)].map(async (p) => (await p).json() as Promise<Record<string, unknown>>));
    const sameShape = JSON.stringify(Object.keys(bodies[0]!).sort()) === JSON.stringify(Object.keys(bodies[1]!).sort());
    const serviceBytes = JSON.stringify(bodies[0]).length;
    const bareBytes = JSON.stringify(bodies[1]).length;
    ctx.log(`service ${targets.service} and bare ${targets.bare}: same keys ${sameShape}, ${serviceBytes} vs ${bareBytes} bytes`);

    const warm = { ...s, seconds: s.warmupSeconds };
    await runAutocannon(targets.bare, warm);
    await runAutocannon(targets.service, warm);

    const machine = watchMachineLoad();
    const windows: Window[] = [];
    let profile: ProfileSummary | null = null;
    for (let round = 0; round < s.rounds; round++) {
      windows.push(await measureWindow('bare', targets.bare, s));
      const stop = s.cpuProfile && round === 0 ? await startCpuProfile('http-throughput') : null;
      windows.push(await measureWindow('service', targets.service, s));
      if (stop) profile = await stop();
      const last = windows.slice(-2).map((w) => `${w.side} ${w.result.requests.average.toFixed(0)}/s`);
      ctx.log(`round ${round + 1}/${s.rounds}: ${last.join(', ')}`);
    }
    const load = machine();
    const inclusive: InclusiveEntry[] | null = profile ? (await inclusiveTimes(profile.file, /src\/|@prisma|@apollo|graphql\/|express\/|router\/|body-parser|pg\/lib/, 30)).top : null;
    if (profile && inclusive) {
      ctx.log(`service window, self time by package:\n${profile.byPackage.slice(0, 10).map((p) => `  ${String(p.ms).padStart(6)} ms ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`).join('\n')}`);
      ctx.log(`inclusive (top-down):\n${inclusive.slice(0, 20).map((f) => `  ${String(f.ms).padStart(6)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`).join('\n')}`);
    }

    const side = (name: Window['side']) => {
      const mine = windows.filter((w) => w.side === name);
      const ok = mine.reduce((sum, w) => sum + w.result['2xx'], 0);
      const seconds = mine.reduce((sum, w) => sum + w.result.duration, 0);
      const cpuMs = mine.reduce((sum, w) => sum + w.cpuMs, 0);
      return {
        requestsPerSecond: round(ok / seconds, 1),
        ok,
        seconds: round(seconds),
        non2xx: mine.reduce((sum, w) => sum + w.result.non2xx, 0),
        errors: mine.reduce((sum, w) => sum + w.result.errors + w.result.timeouts, 0),
        latencyMsP50: mine.map((w) => w.result.latency.p50),
        latencyMsP99: mine.map((w) => w.result.latency.p99),
        serverCpuUsPerRequest: round((cpuMs * 1000) / Math.max(1, ok), 1),
        serverCoresBusy: round(cpuMs / 1000 / seconds, 2),
        windows: mine.map((w) => round(w.result.requests.average, 1)),
      };
    };
    const service = side('service');
    const bareSide = side('bare');
    const ratio = service.requestsPerSecond / bareSide.requestsPerSecond;
    const clean = service.non2xx + service.errors + bareSide.non2xx + bareSide.errors === 0;
    return {
      figure:
        `service ${service.requestsPerSecond.toFixed(0)} req/s vs bare express+pg ${bareSide.requestsPerSecond.toFixed(0)} req/s = ${ratio.toFixed(2)}× ` +
        `(${s.connections} connections, ${s.rounds}×${s.seconds} s each; server CPU ${service.serverCpuUsPerRequest} vs ${bareSide.serverCpuUsPerRequest} µs/request)` +
        (clean ? '' : '; NON-2xx OR ERRORS'),
      met: ratio >= TARGET_RATIO && clean,
      details: { settings: s, quick: QUICK, ratio: round(ratio), service, bare: bareSide, sameShape, bodyBytes: { service: serviceBytes, bare: bareBytes }, machine: load, cpuProfile: profile, cpuProfileInclusive: inclusive },
    };
  } finally {
    await bare?.close().catch(() => undefined);
    await bench?.close();
  }
}
