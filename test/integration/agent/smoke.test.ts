import { startFakeOpenAI, type FakeLlmServer } from '../../kit/fakeLlm.js';
import { startTestService, type TestService } from '../../kit/service.js';

let llm: FakeLlmServer;
let service: TestService;

beforeAll(async () => {
  llm = await startFakeOpenAI([
    { text: ['Let me ', 'check.'], toolCalls: [{ id: 'c1', name: 'memorize', input: { topic: 'Churn definition', content: 'churn = lost customers / start customers' } }], usage: { input: 100, output: 20 } },
    { text: ['Saved.'], usage: { input: 150, output: 10 } },
  ]);
  service = await startTestService({
    agent: undefined,
    env: { ANTON_PLANNING_PROVIDER: 'openai-compatible', ANTON_OPENAI_BASE_URL: llm.url, ANTON_PLANNING_MODEL: 'fake-model' },
    realAgent: true,
  });
  await service.rest('POST', '/sessions', { session_id: 'a1' });
});
afterAll(async () => {
  await service.dispose();
  await llm.close();
});

test('a turn with a tool round trip', async () => {
  const turn = await service.rest('POST', '/sessions/a1/turn', { message: 'define churn' });
  expect(turn.status).toBe(200);
  expect(turn.body).toMatchObject({ status: 'completed', reply: 'Let me check.\n\nSaved.', total_tokens: 280, tool_calls: 1 });
  const events = (await service.rest('GET', '/sessions/a1/events')).body as { events: Array<{ event_type: string }> };
  expect(events.events.map((event) => event.event_type)).toEqual([
    'run_created', 'memory_retrieval', 'stream_complete', 'llm_response', 'tool_call', 'tool_result', 'stream_complete', 'llm_response', 'assistant_reply',
  ]);
  const second = await service.rest('POST', '/sessions/a1/turn', { message: 'what is churn definition' });
  expect(second.body).toMatchObject({ status: 'completed' });
  const all = (await service.rest('GET', '/sessions/a1/events')).body as { events: Array<{ event_type: string; payload: Record<string, unknown> }> };
  const recall = all.events.filter((event) => event.event_type === 'memory_retrieval').at(-1)!;
  expect(recall.payload).toMatchObject({ retrieved_count: 2 });
  const lastRequest = llm.requests.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
  expect(lastRequest.messages.length).toBeGreaterThan(4);
});
