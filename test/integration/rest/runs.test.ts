// GET /sessions/{session_id}/runs, GET /runs/{run_id}, POST /runs/{run_id}/cancel.
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import {
  api,
  createSession,
  detail,
  doneRun,
  issue,
  MSG,
  runListItem,
  runRecord,
  turn,
  waitForFinished,
  type Api,
  type EventsBody,
} from './contract.js';

const agent = new ScriptedAgent({
  tools: { steps: [{ reply: 'used tools' }], usage: { inputTokens: 30, outputTokens: 12 }, toolCalls: 3 },
  explode: { steps: [{ fail: 'provider exploded' }] },
  block: { steps: [{ reply: 'part1 ' }, { block: true }, { reply: 'part2' }], usage: { inputTokens: 4, outputTokens: 2 } },
});

let service: TestService;
let client: Api;

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

interface RunsBody {
  session_id: string;
  runs: Array<{ id: string; created_at: number }>;
}

describe('GET /sessions/{session_id}/runs', () => {
  let session: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    session = await createSession(client, { session_id: 'listing' });
    for (const message of ['hello', 'tools', 'explode']) runIds.push((await turn(client, session, { message })).run_id);
  });

  test('lists the runs newest first, with session_id, total_tokens and tool_calls (decision 4)', async () => {
    const response = await client.call('GET', `/sessions/${session}/runs`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      session_id: session,
      runs: [
        runListItem({ id: runIds[2], session_id: session, status: 'failed', prompt: 'explode', error: 'provider exploded' }),
        runListItem({
          id: runIds[1],
          session_id: session,
          status: 'completed',
          prompt: 'tools',
          input_tokens: 30,
          output_tokens: 12,
          total_tokens: 42,
          tool_calls: 3,
        }),
        runListItem({ id: runIds[0], session_id: session, status: 'completed', prompt: 'hello', input_tokens: 10, output_tokens: 5, total_tokens: 15 }),
      ],
    });
    const times = (response.body as RunsBody).runs.map((run) => run.created_at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  test('limit keeps the newest; a limit below 1 means 1', async () => {
    const two = await client.get<RunsBody>(`/sessions/${session}/runs?limit=2`);
    expect(two.runs.map((run) => run.id)).toEqual([runIds[2], runIds[1]]);
    for (const limit of ['1', '0', '-5']) {
      const one = await client.get<RunsBody>(`/sessions/${session}/runs?limit=${limit}`);
      expect(one.runs.map((run) => run.id)).toEqual([runIds[2]]);
    }
  });

  test('a session without runs has an empty list', async () => {
    const empty = await createSession(client);
    expect(await client.get(`/sessions/${empty}/runs`)).toEqual({ session_id: empty, runs: [] });
  });

  test('other sessions’ runs are not listed', async () => {
    const other = await createSession(client);
    const theirs = await turn(client, other, { message: 'hello' });
    const mine = await client.get<RunsBody>(`/sessions/${session}/runs`);
    expect(mine.runs.map((run) => run.id)).not.toContain(theirs.run_id);
    expect(mine.runs).toHaveLength(3);
  });

  test('404 for an unknown session', async () => {
    const response = await client.call('GET', '/sessions/nope/runs');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail("Unknown session_id 'nope'."));
  });

  test('422 for a non-integer limit', async () => {
    const response = await client.call('GET', `/sessions/${session}/runs?limit=ten`);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ detail: [issue('int_parsing', ['query', 'limit'], MSG.int_parsing, 'ten')] });
  });
});

describe('GET /runs/{run_id}', () => {
  test('returns the run record', async () => {
    const session = await createSession(client);
    const result = await turn(client, session, { message: 'tools' });
    const response = await client.call('GET', `/runs/${result.run_id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(
      runRecord({
        id: result.run_id,
        session_id: session,
        status: 'completed',
        prompt: 'tools',
        response: 'used tools',
        input_tokens: 30,
        output_tokens: 12,
        total_tokens: 42,
        tool_calls: 3,
      }),
    );
  });

  test('404 for an unknown run', async () => {
    const response = await client.call('GET', '/runs/nope');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail("Unknown run_id 'nope'."));
  });
});

describe('POST /runs/{run_id}/cancel', () => {
  let session: string;

  beforeAll(async () => {
    session = await createSession(client, { session_id: 'cancelling' });
  });

  test('a finished run: "Run already finished." and nothing changes', async () => {
    const done = await turn(client, session, { message: 'hello' });
    const response = await client.call('POST', `/runs/${done.run_id}/cancel`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ run_id: done.run_id, status: 'completed', cancel_requested: false, message: 'Run already finished.' });
    expect(await client.get(`/runs/${done.run_id}`)).toEqual(doneRun(done.run_id, session, 'hello'));

    const failed = await turn(client, session, { message: 'explode' });
    expect(await client.post(`/runs/${failed.run_id}/cancel`)).toEqual({
      run_id: failed.run_id,
      status: 'failed',
      cancel_requested: false,
      message: 'Run already finished.',
    });
  });

  test('a running run: cancellation_requested, an event, and the run ends cancelled with its partial reply', async () => {
    const started = await turn(client, session, { message: 'block', wait_for_completion: false });
    await agentStarted(started.run_id);
    const response = await client.call('POST', `/runs/${started.run_id}/cancel`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      run_id: started.run_id,
      status: 'cancellation_requested',
      cancel_requested: true,
      message: 'Cancellation has been requested.',
    });
    const finished = await waitForFinished(client, started.run_id);
    expect(finished).toEqual(
      runRecord({
        id: started.run_id,
        session_id: session,
        status: 'cancelled',
        prompt: 'block',
        response: 'part1 ',
        input_tokens: 4,
        output_tokens: 2,
        total_tokens: 6,
        cancel_requested: true,
      }),
    );
    const events = await client.get<EventsBody>(`/sessions/${session}/events`);
    const mine = events.events.filter((event) => event.run_id === started.run_id);
    expect(mine.map((event) => event.event_type)).toEqual(['run_created', 'run_cancel_requested']);
    expect(mine[1]).toEqual({ id: expect.any(Number), run_id: started.run_id, ts: expect.any(Number), event_type: 'run_cancel_requested', payload: {} });
    // Cancelling again once it has ended is the "already finished" reply.
    expect(await client.post(`/runs/${started.run_id}/cancel`)).toEqual({
      run_id: started.run_id,
      status: 'cancelled',
      cancel_requested: false,
      message: 'Run already finished.',
    });
  });

  test('a run still waiting for its session ends cancelled with an empty reply; the session goes on', async () => {
    const blocker = await turn(client, session, { message: 'block', wait_for_completion: false });
    await agentStarted(blocker.run_id);
    const waiting = await turn(client, session, { message: 'hello', wait_for_completion: false });
    expect(waiting.status).toBe('running');
    expect(await client.post(`/runs/${waiting.run_id}/cancel`)).toEqual({
      run_id: waiting.run_id,
      status: 'cancellation_requested',
      cancel_requested: true,
      message: 'Cancellation has been requested.',
    });
    const cancelled = await waitForFinished(client, waiting.run_id);
    expect(cancelled).toEqual(runRecord({ id: waiting.run_id, session_id: session, status: 'cancelled', prompt: 'hello', response: '', cancel_requested: true }));
    expect(agent.started.some((input) => input.runId === waiting.run_id)).toBe(false);
    agent.release();
    expect((await waitForFinished(client, blocker.run_id)).status).toBe('completed');
    const after = await turn(client, session, { message: 'hello' });
    expect(after.status).toBe('completed');
  });

  test('404 for an unknown run, without stray quotes (decision 1)', async () => {
    const response = await client.call('POST', '/runs/nope/cancel');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(detail("Unknown run_id 'nope'."));
  });
});
