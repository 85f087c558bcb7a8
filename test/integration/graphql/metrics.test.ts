// health, metrics, and the masking of unexpected errors (message, code, log line, request id).
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { createLogger } from '../../../src/logger.js';
import { expectOneError, postGraphQL } from './http.js';

const agent = new ScriptedAgent({
  wait: { steps: [{ reply: 'ok' }, { waitMs: 30 }], usage: { inputTokens: 1, outputTokens: 1 } },
  boom: { steps: [{ fail: 'model exploded' }] },
  approve: { steps: [{ reply: 'needs ok' }], pendingApprovalIds: ['ap-x'] },
  block: { steps: [{ block: true }] },
});

const lines: string[] = [];
let service: TestService;
beforeAll(async () => {
  service = await startTestService({ agent, log: createLogger('error', (line) => lines.push(line)) });
});
afterAll(() => service.dispose());

const METRICS = `{ metrics { runCount completed approvalRequired cancelled failed running queued statusCounts { status count } latencyP50 latencyP95 latencyP99 successRate } }`;

test('health is ok', async () => {
  const response = await service.gql<{ health: { status: string } }>('{ health { status } }');
  expect(response).toEqual({ status: 200, data: { health: { status: 'ok' } }, errors: undefined });
});

test('metrics with no runs are all zero', async () => {
  const response = await service.gql<{ metrics: unknown }>(METRICS);
  expect(response.data.metrics).toEqual({
    runCount: 0,
    completed: 0,
    approvalRequired: 0,
    cancelled: 0,
    failed: 0,
    running: 0,
    queued: 0,
    statusCounts: [],
    latencyP50: 0,
    latencyP95: 0,
    latencyP99: 0,
    successRate: 0,
  });
});

test('metrics count runs by status, with lower nearest-rank latency percentiles and the success rate', async () => {
  for (const id of ['m-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6']) await service.gql(`mutation { createSession(input: { sessionId: "${id}" }) { id } }`);
  const turn = async (sessionId: string, message: string, extra = '') =>
    (await service.gql<{ sendTurn: { runId: string; status: string } }>(`mutation { sendTurn(input: { sessionId: "${sessionId}", message: "${message}"${extra} }) { runId status } }`)).data.sendTurn;
  // Runs of different sessions execute side by side.
  const finished = await Promise.all([turn('m-1', 'wait'), turn('m-2', 'wait'), turn('m-3', 'hello'), turn('m-4', 'boom'), turn('m-5', 'approve')]);
  expect(finished.map((run) => run.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED', 'APPROVAL_REQUIRED']);
  // One run held open while metrics are read, then cancelled.
  const blocked = await turn('m-6', 'block', ', waitForCompletion: false');
  expect(blocked.status).toBe('RUNNING');
  await waitUntil(() => (agent.started.some((input) => input.runId === blocked.runId) ? true : undefined), 10_000, 'the blocked run to start');

  const whileRunning = (await service.gql<{ metrics: Record<string, unknown> }>(METRICS)).data.metrics;
  expect(whileRunning).toMatchObject({
    runCount: 6,
    completed: 3,
    approvalRequired: 1,
    cancelled: 0,
    failed: 1,
    running: 1,
    queued: 0,
    statusCounts: [
      { status: 'approval_required', count: 1 },
      { status: 'completed', count: 3 },
      { status: 'failed', count: 1 },
      { status: 'running', count: 1 },
    ],
    successRate: 3 / 5,
  });

  await service.gql(`mutation { cancelRun(id: "${blocked.runId}") { status } }`);
  await waitUntil(async () => {
    const { data } = await service.gql<{ run: { completedAt: string | null } }>(`{ run(id: "${blocked.runId}") { completedAt } }`);
    return data.run.completedAt ? true : undefined;
  }, 10_000, 'the cancelled run to finish');

  // The percentiles are sorted[floor((n - 1) * p)] of the stored latencies.
  const stored = await service.db.run.findMany({ select: { latencySeconds: true } });
  const latencies = stored.map((row) => row.latencySeconds as number).sort((a, b) => a - b);
  expect(latencies).toHaveLength(6);
  const percentile = (p: number): number => latencies[Math.floor((latencies.length - 1) * p)] as number;

  const metrics = (await service.gql<{ metrics: unknown }>(METRICS)).data.metrics;
  expect(metrics).toEqual({
    runCount: 6,
    completed: 3,
    approvalRequired: 1,
    cancelled: 1,
    failed: 1,
    running: 0,
    queued: 0,
    statusCounts: [
      { status: 'approval_required', count: 1 },
      { status: 'cancelled', count: 1 },
      { status: 'completed', count: 3 },
      { status: 'failed', count: 1 },
    ],
    latencyP50: percentile(0.5),
    latencyP95: percentile(0.95),
    latencyP99: percentile(0.99),
    successRate: 0.5,
  });
  // The two runs that waited 30 ms are among the slowest.
  expect(percentile(0.99)).toBeGreaterThanOrEqual(0.03);
});

describe('unexpected errors are masked and logged with the request id', () => {
  const metrics = (): { snapshot: unknown } => service.services.metrics as unknown as { snapshot: unknown };
  beforeEach(() => {
    metrics().snapshot = () => {
      throw new Error('secret internals');
    };
    lines.length = 0;
  });
  afterEach(() => {
    delete metrics().snapshot;
  });

  const unexpectedLines = (): Array<{ level: string; message: string; requestId: string; error: { name: string; message: string; stack: string } }> =>
    lines.map((line) => JSON.parse(line) as { level: string; message: string; requestId: string; error: { name: string; message: string; stack: string } }).filter((entry) => entry.message === 'unexpected error');

  test('the client sees "Internal server error." with INTERNAL_SERVER_ERROR and nothing of the original', async () => {
    const response = await postGraphQL(service, { query: '{ health { status } metrics { runCount } }' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      errors: [{ message: 'Internal server error.', locations: [{ line: 1, column: 21 }], path: ['metrics'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      data: null,
    });
    expect(response.text).not.toContain('secret internals');
    expect(response.text).not.toContain('stacktrace');
    for (const [name, value] of response.headers) expect(`${name}: ${value}`).not.toContain('secret internals');

    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const logged = unexpectedLines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'error', requestId, error: { name: 'Error', message: 'secret internals' } });
    expect(logged[0]?.error.stack).toContain('secret internals');
  });

  test('a request id sent by the client is echoed and logged', async () => {
    const response = await postGraphQL(service, { query: '{ metrics { runCount } }' }, { 'content-type': 'application/json', 'x-request-id': 'client-req-42' });
    expectOneError(response, { message: 'Internal server error.', code: 'INTERNAL_SERVER_ERROR', path: ['metrics'], status: 200 });
    expect(response.headers.get('x-request-id')).toBe('client-req-42');
    expect(response.text).not.toContain('secret internals');
    const logged = unexpectedLines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ requestId: 'client-req-42', error: { message: 'secret internals' } });
  });

  test('every request gets its own id, also without errors', async () => {
    const first = await postGraphQL(service, { query: '{ health { status } }' });
    const second = await postGraphQL(service, { query: '{ health { status } }' });
    expect(first.json).toEqual({ data: { health: { status: 'ok' } } });
    expect(first.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
    expect(unexpectedLines()).toEqual([]);
  });
});
