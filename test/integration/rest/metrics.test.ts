// GET /metrics (JSON, and Prometheus text with Accept: text/plain).
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { api, createSession, turn, waitForFinished, type Api, type RunBody } from './contract.js';

const agent = new ScriptedAgent({
  explode: { steps: [{ fail: 'provider exploded' }] },
  approve: { steps: [{ reply: 'waiting for approval' }], pendingApprovalIds: ['bbbbbbbbbbbb'] },
  block: { steps: [{ reply: 'part ' }, { block: true }] },
});

let service: TestService;
let client: Api;

interface MetricsBody {
  run_count: number;
  completed: number;
  failed: number;
  approval_required: number;
  cancelled: number;
  running: number;
  queued: number;
  status_counts: Record<string, number>;
  latency_p50: number;
  latency_p95: number;
  latency_p99: number;
  success_rate: number;
}

beforeAll(async () => {
  service = await startTestService({ agent });
  client = api(service);
});
afterAll(async () => {
  agent.release();
  await service.dispose();
});

function agentStarted(runId: string): Promise<true> {
  return waitUntil(() => (agent.started.some((input) => input.runId === runId) ? true : undefined), 10_000, `run ${runId} to start`);
}

let seedCount = 0;
async function seedRun(sessionId: string, status: string, latencySeconds: number | null): Promise<void> {
  seedCount += 1;
  const startedAt = new Date(Date.UTC(2032, 0, 1) + seedCount * 60_000);
  const completedAt = latencySeconds === null ? null : new Date(startedAt.getTime() + latencySeconds * 1000);
  await service.db.run.create({
    data: {
      id: `5eed${String(seedCount).padStart(8, '0')}`,
      sessionId,
      status,
      prompt: 'seeded',
      workerMode: 'local',
      createdAt: startedAt,
      startedAt,
      completedAt,
      latencySeconds,
    },
  });
}

/** Lower nearest-rank percentile, the reference's method: sorted[floor((n - 1) * p)]. */
function lowerNearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) * p)]!;
}

test('with no runs every figure is zero', async () => {
  const response = await client.call('GET', '/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body).toEqual({
    run_count: 0,
    completed: 0,
    failed: 0,
    approval_required: 0,
    cancelled: 0,
    running: 0,
    queued: 0,
    status_counts: {},
    latency_p50: 0,
    latency_p95: 0,
    latency_p99: 0,
    success_rate: 0,
  });
});

test('a known mix of real runs, across sessions', async () => {
  const one = await createSession(client);
  const two = await createSession(client);
  const three = await createSession(client);
  const finished: string[] = [];
  finished.push((await turn(client, one, { message: 'hello' })).run_id);
  finished.push((await turn(client, two, { message: 'hello' })).run_id);
  finished.push((await turn(client, one, { message: 'explode' })).run_id);
  finished.push((await turn(client, two, { message: 'approve' })).run_id);
  const cancelled = await turn(client, one, { message: 'block', wait_for_completion: false });
  await agentStarted(cancelled.run_id);
  await client.post(`/runs/${cancelled.run_id}/cancel`);
  await waitForFinished(client, cancelled.run_id);
  finished.push(cancelled.run_id);
  const running = await turn(client, three, { message: 'block', wait_for_completion: false });
  await agentStarted(running.run_id);
  const queuedSession = await createSession(client);
  await seedRun(queuedSession, 'queued', null);

  const metrics = await client.get<MetricsBody>('/metrics');
  const runs = await Promise.all(finished.map((id) => client.get<RunBody>(`/runs/${id}`)));
  const latencies = runs.map((run) => (run.completed_at as number) - run.started_at);
  expect(metrics).toEqual({
    run_count: 7,
    completed: 2,
    failed: 1,
    approval_required: 1,
    cancelled: 1,
    running: 1,
    queued: 1,
    status_counts: { completed: 2, failed: 1, approval_required: 1, cancelled: 1, running: 1, queued: 1 },
    latency_p50: expect.any(Number),
    latency_p95: expect.any(Number),
    latency_p99: expect.any(Number),
    success_rate: 0.4,
  });
  // Stored timestamps have millisecond precision; the metrics use the exact latency.
  expect(metrics.latency_p50).toBeCloseTo(lowerNearestRank(latencies, 0.5), 2);
  expect(metrics.latency_p95).toBeCloseTo(lowerNearestRank(latencies, 0.95), 2);
  expect(metrics.latency_p99).toBeCloseTo(lowerNearestRank(latencies, 0.99), 2);
  expect(metrics.latency_p50).toBeLessThanOrEqual(metrics.latency_p95);
  expect(metrics.latency_p95).toBeLessThanOrEqual(metrics.latency_p99);

  agent.release();
  await waitForFinished(client, running.run_id);
  const after = await client.get<MetricsBody>('/metrics');
  expect(after.running).toBe(0);
  expect(after.completed).toBe(3);
  expect(after.status_counts).toEqual({ completed: 3, failed: 1, approval_required: 1, cancelled: 1, queued: 1 });
  expect(after.success_rate).toBeCloseTo(3 / 6, 10);
});

describe('exact figures over seeded runs', () => {
  beforeAll(async () => {
    await service.db.run.deleteMany({});
    const session = await createSession(client);
    // 12 finished latencies: lower nearest rank gives p50 = 5 (interpolation: 5.5),
    // p95 = p99 = 10 (nearest rank: 20, interpolation: 14.5 / 19.0).
    for (const latency of [7, 0.5, 3, 6, 1, 4, 2, 5]) await seedRun(session, 'completed', latency);
    await seedRun(session, 'failed', 8);
    await seedRun(session, 'approval_required', 9);
    await seedRun(session, 'cancelled', 10);
    await seedRun(session, 'interrupted', 20); // any other finished status counts as failed
    await seedRun(session, 'running', null);
    await seedRun(session, 'running', null);
    await seedRun(session, 'queued', null);
  });

  test('counts, status_counts, lower nearest-rank percentiles and success_rate', async () => {
    expect(await client.get('/metrics')).toEqual({
      run_count: 15,
      completed: 8,
      failed: 2,
      approval_required: 1,
      cancelled: 1,
      running: 2,
      queued: 1,
      status_counts: { completed: 8, failed: 1, approval_required: 1, cancelled: 1, interrupted: 1, running: 2, queued: 1 },
      latency_p50: 5,
      latency_p95: 10,
      latency_p99: 10,
      success_rate: 8 / 12,
    });
  });

  test('Accept: application/json (or a preference for it) is JSON', async () => {
    const json = await client.call('GET', '/metrics', undefined, { accept: 'application/json' });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect((json.body as MetricsBody).run_count).toBe(15);
    const preferred = await client.call('GET', '/metrics', undefined, { accept: 'application/json, text/plain;q=0.5' });
    expect(preferred.headers.get('content-type')).toMatch(/^application\/json/);
  });

  test('Accept: text/plain answers in the Prometheus text format', async () => {
    const response = await client.call('GET', '/metrics', undefined, { accept: 'text/plain' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.text.endsWith('\n')).toBe(true);
    const lines = response.text.trimEnd().split('\n');
    const typed = new Set<string>();
    for (const line of lines) {
      if (line.startsWith('# ')) {
        const match = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
        expect(match).not.toBeNull();
        if (match?.[1] === 'TYPE') {
          expect(['gauge', 'counter', 'summary', 'histogram', 'untyped']).toContain(match[3]);
          typed.add(match[2]!);
        }
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(
        line,
      );
      expect(sample).not.toBeNull();
      expect(typed.has(sample![1]!)).toBe(true);
    }
    expect(lines).toEqual(
      expect.arrayContaining([
        'anton_runs_total 15',
        'anton_runs{status="completed"} 8',
        'anton_runs{status="failed"} 1',
        'anton_runs{status="interrupted"} 1',
        'anton_runs{status="running"} 2',
        'anton_runs{status="queued"} 1',
        `anton_run_success_rate ${8 / 12}`,
        'anton_run_latency_seconds{quantile="0.5"} 5',
        'anton_run_latency_seconds{quantile="0.95"} 10',
        'anton_run_latency_seconds{quantile="0.99"} 10',
      ]),
    );
  });
});
