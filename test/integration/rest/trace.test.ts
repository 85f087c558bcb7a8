// GET /runs/{run_id}/trace.
import path from 'node:path';
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { anyEpoch, anyId, api, createSession, detail, issue, MSG, runRecord, sha256, turn, waitForFinished, type Api } from './contract.js';

const REPORT = 'col\n1\n';

const agent = new ScriptedAgent({
  analyse: {
    steps: [
      { event: 'tool_call', payload: { id: 't1', name: 'scratchpad', input: { code: 'print(1)' } } },
      { writeFile: 'report.csv', content: REPORT },
      { event: 'tool_result', payload: { id: 't1', name: 'scratchpad', content_preview: '1' } },
      { reply: 'analysis ' },
      { reply: 'done' },
      { event: 'assistant_reply', payload: { mode: 'stream', content: 'analysis done' } },
    ],
    usage: { inputTokens: 120, outputTokens: 45 },
    toolCalls: 1,
  },
  block: { steps: [{ block: true }] },
});

let service: TestService;
let client: Api;
let session: string;
let runId: string;
let approvalCreatedAt: Date;

interface TraceEvent {
  id: number;
  session_id: string;
  ts: number;
  event_type: string;
  payload: Record<string, unknown>;
}
interface TraceBody {
  events: TraceEvent[];
  events_next_since_id: number;
  events_has_more: boolean;
}

const traceEvent = (eventType: string, payload: Record<string, unknown>): Record<string, unknown> => ({
  id: expect.any(Number),
  session_id: session,
  ts: expect.any(Number),
  event_type: eventType,
  payload,
});

beforeAll(async () => {
  service = await startTestService({ agent });
  client = api(service);
  session = await createSession(client, { workspace_path: path.join(service.home, 'trace-ws') });
  // Another run of the same session before and after: the trace holds this run's events only.
  await turn(client, session, { message: 'hello' });
  runId = (await turn(client, session, { message: 'analyse', idempotency_key: 'trace-key' })).run_id;
  await turn(client, session, { message: 'hello' });
  approvalCreatedAt = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
  await service.db.approval.create({
    data: {
      id: 'a1b2c3d4e5f6',
      sessionId: session,
      runId,
      toolName: 'connector',
      toolInput: { action: 'write', sql: 'DELETE FROM t' },
      fingerprint: 'f'.repeat(64),
      reason: 'Connector writes need approval.',
      status: 'pending',
      createdAt: approvalCreatedAt,
    },
  });
});
afterAll(async () => {
  agent.release();
  await service.dispose();
});

test('the whole bundle: run, its events, artifacts, approvals, usage, provider, model and prompts (decision 15)', async () => {
  const response = await client.call('GET', `/runs/${runId}/trace`);
  expect(response.status).toBe(200);
  const body = response.body as TraceBody;
  expect(body).toEqual({
    run: runRecord({
      id: runId,
      session_id: session,
      status: 'completed',
      prompt: 'analyse',
      response: 'analysis done',
      input_tokens: 120,
      output_tokens: 45,
      total_tokens: 165,
      tool_calls: 1,
    }),
    events: [
      traceEvent('run_created', { worker_mode: 'local', idempotency_key: 'trace-key' }),
      traceEvent('tool_call', { id: 't1', name: 'scratchpad', input: { code: 'print(1)' } }),
      traceEvent('tool_result', { id: 't1', name: 'scratchpad', content_preview: '1' }),
      traceEvent('assistant_reply', { mode: 'stream', content: 'analysis done' }),
    ],
    events_next_since_id: body.events.at(-1)?.id,
    events_has_more: false,
    artifacts: [
      {
        id: anyId(),
        kind: 'csv',
        path: path.join(service.home, 'trace-ws', '.anton', 'output', 'report.csv'),
        created_at: anyEpoch(),
        size_bytes: Buffer.byteLength(REPORT),
        sha256: sha256(REPORT),
      },
    ],
    approvals: [
      {
        id: 'a1b2c3d4e5f6',
        session_id: session,
        run_id: runId,
        tool_name: 'connector',
        tool_input: { action: 'write', sql: 'DELETE FROM t' },
        reason: 'Connector writes need approval.',
        status: 'pending',
        created_at: approvalCreatedAt.getTime() / 1000,
        decided_at: null,
        decision_note: null,
      },
    ],
    usage: { input_tokens: 120, output_tokens: 45, total_tokens: 165, tool_calls: 1 },
    provider: 'scripted',
    model: 'scripted-1',
    model_prompt: 'analyse',
    system_prompt: 'You are a test.',
    skill: null,
    schedule_id: null,
  });
  const ids = body.events.map((item) => item.id);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  // The same run record as GET /runs/{id}, the same artifacts as GET /runs/{id}/artifacts.
  expect((response.body as { run: unknown }).run).toEqual(await client.get(`/runs/${runId}`));
  expect((response.body as { artifacts: unknown }).artifacts).toEqual((await client.get<{ artifacts: unknown }>(`/runs/${runId}/artifacts`)).artifacts);
});

test('events are paged with events_since_id / events_limit, no silent cap', async () => {
  const whole = await client.get<TraceBody>(`/runs/${runId}/trace`);
  const first = await client.get<TraceBody>(`/runs/${runId}/trace?events_limit=1`);
  expect(first.events).toEqual([whole.events[0]]);
  expect(first.events_next_since_id).toBe(whole.events[0]!.id);
  expect(first.events_has_more).toBe(true);

  const seen: TraceEvent[] = [];
  let since = 0;
  let hasMore = true;
  for (let page = 0; hasMore && page < 20; page += 1) {
    const body = await client.get<TraceBody>(`/runs/${runId}/trace?events_since_id=${since}&events_limit=3`);
    expect(body.events.length).toBeLessThanOrEqual(3);
    seen.push(...body.events);
    since = body.events_next_since_id;
    hasMore = body.events_has_more;
  }
  expect(seen).toEqual(whole.events);

  const past = await client.get<TraceBody & Record<string, unknown>>(`/runs/${runId}/trace?events_since_id=${since}`);
  expect(past.events).toEqual([]);
  expect(past.events_next_since_id).toBe(since);
  expect(past.events_has_more).toBe(false);
  // Everything but the events is the same on every page.
  const { events: _a, events_next_since_id: _b, events_has_more: _c, ...restOfPast } = past;
  const { events: _d, events_next_since_id: _e, events_has_more: _f, ...restOfWhole } = whole as TraceBody & Record<string, unknown>;
  expect(restOfPast).toEqual(restOfWhole);
});

test('a decided approval shows its decision', async () => {
  const decided = await client.post<{ decided_at: number }>('/approvals/a1b2c3d4e5f6/decision', { approved: true, note: 'fine' });
  const trace = await client.get<{ approvals: unknown[] }>(`/runs/${runId}/trace`);
  expect(trace.approvals).toEqual([
    {
      id: 'a1b2c3d4e5f6',
      session_id: session,
      run_id: runId,
      tool_name: 'connector',
      tool_input: { action: 'write', sql: 'DELETE FROM t' },
      reason: 'Connector writes need approval.',
      status: 'approved',
      created_at: approvalCreatedAt.getTime() / 1000,
      decided_at: decided.decided_at,
      decision_note: 'fine',
    },
  ]);
  expect(trace.approvals).toEqual([decided]);
});

test('a run cancelled before it executed: no provider, model or prompts, zero usage', async () => {
  const other = await createSession(client);
  const blocker = await turn(client, other, { message: 'block', wait_for_completion: false });
  await waitUntil(() => (agent.started.some((input) => input.runId === blocker.run_id) ? true : undefined), 10_000, 'the blocker to start');
  const waiting = await turn(client, other, { message: 'hello', wait_for_completion: false });
  await client.post(`/runs/${waiting.run_id}/cancel`);
  await waitForFinished(client, waiting.run_id);
  agent.release();
  await waitForFinished(client, blocker.run_id);
  const body = await client.get<TraceBody>(`/runs/${waiting.run_id}/trace`);
  expect(body).toEqual({
    run: runRecord({ id: waiting.run_id, session_id: other, status: 'cancelled', prompt: 'hello', response: '', cancel_requested: true }),
    events: [
      { id: expect.any(Number), session_id: other, ts: expect.any(Number), event_type: 'run_created', payload: { worker_mode: 'local', idempotency_key: '' } },
      { id: expect.any(Number), session_id: other, ts: expect.any(Number), event_type: 'run_cancel_requested', payload: {} },
    ],
    events_next_since_id: body.events.at(-1)?.id,
    events_has_more: false,
    artifacts: [],
    approvals: [],
    usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0, tool_calls: 0 },
    provider: null,
    model: null,
    model_prompt: null,
    system_prompt: null,
    skill: null,
    schedule_id: null,
  });
});

test('404 for an unknown run', async () => {
  const response = await client.call('GET', '/runs/nope/trace');
  expect(response.status).toBe(404);
  expect(response.body).toEqual(detail("Unknown run_id 'nope'."));
});

test('422 for non-integer paging parameters', async () => {
  const response = await client.call('GET', `/runs/${runId}/trace?events_since_id=abc&events_limit=x`);
  expect(response.status).toBe(422);
  expect(response.body).toEqual({
    detail: [issue('int_parsing', ['query', 'events_since_id'], MSG.int_parsing, 'abc'), issue('int_parsing', ['query', 'events_limit'], MSG.int_parsing, 'x')],
  });
});
