// POST /sessions/{session_id}/turn.
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import {
  anyId,
  api,
  createSession,
  detail,
  doneRun,
  expectRecentEpoch,
  issue,
  MSG,
  runRecord,
  turn,
  turnResult,
  waitForFinished,
  type Api,
  type EventsBody,
} from './contract.js';

const agent = new ScriptedAgent({
  block: { steps: [{ reply: 'part1 ' }, { block: true }, { reply: 'part2' }], usage: { inputTokens: 4, outputTokens: 2 } },
  explode: { steps: [{ reply: 'partial' }, { fail: 'provider exploded' }], usage: { inputTokens: 7, outputTokens: 3 } },
  'needs approval': {
    steps: [{ reply: 'I need a go-ahead.' }],
    usage: { inputTokens: 20, outputTokens: 8 },
    toolCalls: 1,
    pendingApprovalIds: ['aaaaaaaaaaaa'],
  },
});

let service: TestService;
let client: Api;
let session: string;

beforeAll(async () => {
  service = await startTestService({ agent });
  client = api(service);
  session = await createSession(client, { session_id: 'turns' });
});
afterAll(async () => {
  agent.release();
  await service.dispose();
});

/** Waits until the agent has started executing `runId` (so its first steps have happened). */
function agentStarted(runId: string): Promise<true> {
  return waitUntil(() => (agent.started.some((input) => input.runId === runId) ? true : undefined), 10_000, `run ${runId} to start`);
}

describe('completed turns', () => {
  test('a waited turn returns the completed result with the current run record', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, { message: 'hello' });
    expect(response.status).toBe(200);
    const body = response.body as { run_id: string; run: { created_at: number; started_at: number; completed_at: number } };
    const run = doneRun(body.run_id, session, 'hello');
    expect(body).toEqual(turnResult(run, false));
    expect(body.run_id).toMatch(/^[0-9a-f]{12}$/);
    expectRecentEpoch(body.run.created_at);
    expect(body.run.completed_at).toBeGreaterThanOrEqual(body.run.started_at);
    expect(body.run.started_at).toBeGreaterThanOrEqual(body.run.created_at);
    // The embedded run is what GET /runs/{id} says.
    expect(await client.get(`/runs/${body.run_id}`)).toEqual(body.run);
  });

  test('the empty message is accepted', async () => {
    const body = await turn(client, session, { message: '' });
    expect(body).toEqual(turnResult(doneRun(body.run_id, session, ''), false));
  });

  test('lax coercions: wait_for_completion "yes", wait_timeout_seconds "5"', async () => {
    const body = await turn(client, session, { message: 'lax', wait_for_completion: 'yes', wait_timeout_seconds: '5' });
    expect(body).toEqual(turnResult(doneRun(body.run_id, session, 'lax'), false));
    const ints = await turn(client, session, { message: 'lax2', wait_for_completion: 1, wait_timeout_seconds: 5 });
    expect(ints).toEqual(turnResult(doneRun(ints.run_id, session, 'lax2'), false));
  });
});

describe('idempotency', () => {
  test('the same key returns the same run with reused:true, whatever the message', async () => {
    const first = await turn(client, session, { message: 'hello', idempotency_key: 'key-1' });
    expect(first).toEqual(turnResult(doneRun(first.run_id, session, 'hello'), false));
    const second = await turn(client, session, { message: 'something else', idempotency_key: 'key-1' });
    expect(second).toEqual(turnResult(doneRun(first.run_id, session, 'hello'), true));
    expect(second.run).toEqual(first.run);
    // No second run was created.
    const events = await client.get<EventsBody>(`/sessions/${session}/events`);
    const created = events.events.filter((event) => event.event_type === 'run_created' && event.payload.idempotency_key === 'key-1');
    expect(created).toEqual([
      { id: expect.any(Number), run_id: first.run_id, ts: expect.any(Number), event_type: 'run_created', payload: { worker_mode: 'local', idempotency_key: 'key-1' } },
    ]);
  });

  test('a reused unfinished run comes back with its current status', async () => {
    const first = await turn(client, session, { message: 'block', idempotency_key: 'key-running', wait_for_completion: false });
    expect(first.status).toBe('running');
    const again = await turn(client, session, { message: 'block', idempotency_key: 'key-running', wait_for_completion: false });
    expect(again).toEqual(
      turnResult(runRecord({ id: first.run_id, session_id: session, status: 'running', prompt: 'block' }), true),
    );
    await agentStarted(first.run_id);
    agent.release();
    await waitForFinished(client, first.run_id);
    const done = await turn(client, session, { message: 'block', idempotency_key: 'key-running' });
    expect(done).toEqual(
      turnResult(
        runRecord({
          id: first.run_id,
          session_id: session,
          status: 'completed',
          prompt: 'block',
          response: 'part1 part2',
          input_tokens: 4,
          output_tokens: 2,
          total_tokens: 6,
        }),
        true,
      ),
    );
  });

  test('the same key in another session is independent', async () => {
    const other = await createSession(client);
    const mine = await turn(client, session, { message: 'hello', idempotency_key: 'shared-key' });
    const theirs = await turn(client, other, { message: 'hello', idempotency_key: 'shared-key' });
    expect(theirs).toEqual(turnResult(doneRun(theirs.run_id, other, 'hello'), false));
    expect(theirs.run_id).not.toBe(mine.run_id);
  });

  test('an empty key counts as no key', async () => {
    const a = await turn(client, session, { message: 'hello', idempotency_key: '' });
    const b = await turn(client, session, { message: 'hello', idempotency_key: '' });
    expect(a.reused).toBe(false);
    expect(b).toEqual(turnResult(doneRun(b.run_id, session, 'hello'), false));
    expect(b.run_id).not.toBe(a.run_id);
  });

  test('concurrent duplicates get the one run, never a 500 (decision 7)', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => turn(client, session, { message: 'hello', idempotency_key: 'racing-key' })),
    );
    const runIds = new Set(results.map((result) => result.run_id));
    expect(runIds.size).toBe(1);
    expect(results.filter((result) => !result.reused)).toHaveLength(1);
    for (const result of results) expect(result).toEqual(turnResult(doneRun(result.run_id, session, 'hello'), result.reused));
  });
});

describe('not waiting', () => {
  test('wait_for_completion:false answers running at once, then the run completes', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, { message: 'block', wait_for_completion: false });
    expect(response.status).toBe(200);
    const body = response.body as { run_id: string };
    expect(body).toEqual(turnResult(runRecord({ id: anyId(), session_id: session, status: 'running', prompt: 'block' }), false));
    await agentStarted(body.run_id);
    agent.release();
    const finished = await waitForFinished(client, body.run_id);
    expect(finished).toEqual(
      runRecord({
        id: body.run_id,
        session_id: session,
        status: 'completed',
        prompt: 'block',
        response: 'part1 part2',
        input_tokens: 4,
        output_tokens: 2,
        total_tokens: 6,
      }),
    );
  });

  test('"false" as a string also means do not wait', async () => {
    const body = await turn(client, session, { message: 'block', wait_for_completion: 'false' });
    expect(body.status).toBe('running');
    await agentStarted(body.run_id);
    agent.release();
    await waitForFinished(client, body.run_id);
  });

  test('wait_timeout_seconds is honoured: the real status comes back and the run goes on (decision 5)', async () => {
    const started = Date.now();
    const body = await turn(client, session, { message: 'block', wait_timeout_seconds: 0.3 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(body).toEqual(turnResult(runRecord({ id: body.run_id, session_id: session, status: 'running', prompt: 'block' }), false));
    await agentStarted(body.run_id);
    agent.release();
    expect((await waitForFinished(client, body.run_id)).status).toBe('completed');
  });
});

describe('failed and approval_required runs', () => {
  test('an agent failure ends the run failed with the error text and an empty reply', async () => {
    const body = await turn(client, session, { message: 'explode' });
    const run = runRecord({
      id: body.run_id,
      session_id: session,
      status: 'failed',
      prompt: 'explode',
      response: '',
      error: 'provider exploded',
      input_tokens: 7,
      output_tokens: 3,
      total_tokens: 10,
    });
    expect(body).toEqual(turnResult(run, false));
    expect(body.reply).toBe('');
    expect(await client.get(`/runs/${body.run_id}`)).toEqual(run);
  });

  test('pending approvals end the run approval_required, with the reply kept', async () => {
    const body = await turn(client, session, { message: 'needs approval' });
    const run = runRecord({
      id: body.run_id,
      session_id: session,
      status: 'approval_required',
      prompt: 'needs approval',
      response: 'I need a go-ahead.',
      input_tokens: 20,
      output_tokens: 8,
      total_tokens: 28,
      tool_calls: 1,
      pending_approval_ids: ['aaaaaaaaaaaa'],
    });
    expect(body).toEqual(turnResult(run, false));
    expect(body.pending_approval_ids).toEqual(['aaaaaaaaaaaa']);
  });
});

describe('errors', () => {
  test('404 for an unknown session, without stray quotes (decision 1)', async () => {
    const response = await client.call('POST', '/sessions/nope/turn', { message: 'hi' });
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail("Unknown session_id 'nope'."));
  });

  test('422 when the body is missing', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('missing', ['body'], MSG.missing, null)] });
  });

  test('422 when message is missing', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, {});
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('missing', ['body', 'message'], MSG.missing, {})] });
  });

  test('422 when message is not a string', async () => {
    for (const message of [5, true, null, ['hi'], { text: 'hi' }]) {
      const response = await client.call('POST', `/sessions/${session}/turn`, { message });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ detail: [issue('string_type', ['body', 'message'], MSG.string_type, message)] });
    }
  });

  test('422 for wait_for_completion "maybe"', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, { message: 'hi', wait_for_completion: 'maybe' });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('bool_parsing', ['body', 'wait_for_completion'], MSG.bool_parsing, 'maybe')] });
  });

  test('422 for wait_timeout_seconds "abc"', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, { message: 'hi', wait_timeout_seconds: 'abc' });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('float_parsing', ['body', 'wait_timeout_seconds'], MSG.float_parsing, 'abc')] });
  });

  test('422 for an idempotency_key that is not a string', async () => {
    const response = await client.call('POST', `/sessions/${session}/turn`, { message: 'hi', idempotency_key: 12 });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('string_type', ['body', 'idempotency_key'], MSG.string_type, 12)] });
  });

  test('every invalid field is reported in one 422, validation before the session lookup', async () => {
    const response = await client.call('POST', '/sessions/nope/turn', { wait_for_completion: 'maybe', wait_timeout_seconds: 'abc' });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      detail: [
        issue('missing', ['body', 'message'], MSG.missing, { wait_for_completion: 'maybe', wait_timeout_seconds: 'abc' }),
        issue('bool_parsing', ['body', 'wait_for_completion'], MSG.bool_parsing, 'maybe'),
        issue('float_parsing', ['body', 'wait_timeout_seconds'], MSG.float_parsing, 'abc'),
      ],
    });
  });
});

describe('queue mode (ANTON_SERVICE_WORKER_MODE=queue)', () => {
  const queueAgent = new ScriptedAgent({ block: { steps: [{ reply: 'part1 ' }, { block: true }, { reply: 'part2' }] } });
  let queued: TestService;
  let queueClient: Api;
  let queueSession: string;

  beforeAll(async () => {
    queued = await startTestService({ agent: queueAgent, env: { ANTON_SERVICE_WORKER_MODE: 'queue' } });
    queueClient = api(queued);
    queueSession = await createSession(queueClient, { session_id: 'queued' });
  });
  afterAll(async () => {
    queueAgent.release();
    await queued.dispose();
  });

  const queueStarted = (runId: string): Promise<true> =>
    waitUntil(() => (queueAgent.started.some((input) => input.runId === runId) ? true : undefined), 10_000, `run ${runId} to start`);

  test('a waited turn carries reused:false too (decision 3), and the events of a queued run', async () => {
    const body = await turn(queueClient, queueSession, { message: 'hello' });
    expect(body).toEqual(turnResult(doneRun(body.run_id, queueSession, 'hello', { worker_mode: 'queue' }), false));
    const again = await turn(queueClient, queueSession, { message: 'hello', idempotency_key: 'q-key' });
    const reused = await turn(queueClient, queueSession, { message: 'hello', idempotency_key: 'q-key' });
    expect(reused).toEqual(turnResult(doneRun(again.run_id, queueSession, 'hello', { worker_mode: 'queue' }), true));
    const events = await queueClient.get<EventsBody>(`/sessions/${queueSession}/events`);
    expect(events.events.filter((event) => event.run_id === body.run_id)).toEqual([
      { id: expect.any(Number), run_id: body.run_id, ts: expect.any(Number), event_type: 'run_created', payload: { worker_mode: 'queue', idempotency_key: '' } },
      { id: expect.any(Number), run_id: body.run_id, ts: expect.any(Number), event_type: 'run_queued', payload: { queue_depth: 0 } },
      { id: expect.any(Number), run_id: body.run_id, ts: expect.any(Number), event_type: 'worker_finished', payload: { worker_index: expect.any(Number) } },
    ]);
  });

  test('wait_for_completion:false answers queued; a queued run can be cancelled', async () => {
    const blocker = await turn(queueClient, queueSession, { message: 'block', wait_for_completion: false });
    expect(blocker).toEqual(turnResult(runRecord({ id: blocker.run_id, session_id: queueSession, status: 'queued', prompt: 'block', worker_mode: 'queue' }), false));
    await queueStarted(blocker.run_id);
    // The session is busy, so this one stays queued.
    const waiting = await turn(queueClient, queueSession, { message: 'hello', wait_for_completion: false });
    expect(waiting.status).toBe('queued');
    expect((await queueClient.get<{ status: string }>(`/runs/${waiting.run_id}`)).status).toBe('queued');
    expect(await queueClient.post(`/runs/${waiting.run_id}/cancel`)).toEqual({
      run_id: waiting.run_id,
      status: 'cancellation_requested',
      cancel_requested: true,
      message: 'Cancellation has been requested.',
    });
    expect(await waitForFinished(queueClient, waiting.run_id)).toEqual(
      runRecord({ id: waiting.run_id, session_id: queueSession, status: 'cancelled', prompt: 'hello', response: '', cancel_requested: true, worker_mode: 'queue' }),
    );
    // A waited turn that times out reports the real status, and the run goes on (decision 5).
    const timedOut = await turn(queueClient, queueSession, { message: 'hello', wait_timeout_seconds: 0.2 });
    expect(timedOut.status).toBe('queued');
    queueAgent.release();
    expect((await waitForFinished(queueClient, blocker.run_id)).status).toBe('completed');
    expect((await waitForFinished(queueClient, timedOut.run_id)).status).toBe('completed');
  });
});
