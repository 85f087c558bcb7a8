// GET /sessions/{session_id}/events.
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { api, createSession, detail, issue, MSG, turn, type Api, type EventBody, type EventsBody } from './contract.js';

const agent = new ScriptedAgent({
  steps: {
    steps: [
      { event: 'custom_step', payload: { n: 1, nested: { b: 2, a: [1, 'x'] } } },
      { reply: 'ok' },
      { event: 'custom_step', payload: { n: 2 } },
      { event: 'assistant_reply', payload: { mode: 'stream', content: 'ok' } },
    ],
  },
});

let service: TestService;
let client: Api;
let session: string;
let simpleRun: string;
let stepsRun: string;
let all: EventBody[];

const event = (runId: string, eventType: string, payload: Record<string, unknown>): EventBody =>
  ({ id: expect.any(Number), run_id: runId, ts: expect.any(Number), event_type: eventType, payload }) as unknown as EventBody;

beforeAll(async () => {
  service = await startTestService({ agent });
  client = api(service);
  session = await createSession(client, { session_id: 'eventful' });
  simpleRun = (await turn(client, session, { message: 'hello' })).run_id;
  stepsRun = (await turn(client, session, { message: 'steps', idempotency_key: 'k-7' })).run_id;
  all = (await client.get<EventsBody>(`/sessions/${session}/events`)).events;
});
afterAll(() => service.dispose());

test('a simple local run: run_created, then what the agent appends, in ascending ids', async () => {
  const response = await client.call('GET', `/sessions/${session}/events`);
  expect(response.status).toBe(200);
  expect(response.body).toEqual({
    session_id: session,
    events: [
      event(simpleRun, 'run_created', { worker_mode: 'local', idempotency_key: '' }),
      event(stepsRun, 'run_created', { worker_mode: 'local', idempotency_key: 'k-7' }),
      event(stepsRun, 'custom_step', { n: 1, nested: { a: [1, 'x'], b: 2 } }),
      event(stepsRun, 'custom_step', { n: 2 }),
      event(stepsRun, 'assistant_reply', { mode: 'stream', content: 'ok' }),
    ],
    next_since_id: all.at(-1)?.id,
  });
  const ids = all.map((item) => item.id);
  expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
  const times = all.map((item) => item.ts);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
});

test('since_id returns only later events; next_since_id is the last id returned', async () => {
  const first = all[0]!;
  const rest = await client.get<EventsBody>(`/sessions/${session}/events?since_id=${first.id}`);
  expect(rest).toEqual({ session_id: session, events: all.slice(1), next_since_id: all.at(-1)!.id });
});

test('limit caps the page, and paging with next_since_id visits every event once', async () => {
  const one = await client.get<EventsBody>(`/sessions/${session}/events?limit=1`);
  expect(one).toEqual({ session_id: session, events: [all[0]], next_since_id: all[0]!.id });
  const seen: EventBody[] = [];
  let since = 0;
  for (let page = 0; page < 20; page += 1) {
    const body = await client.get<EventsBody>(`/sessions/${session}/events?since_id=${since}&limit=2`);
    if (body.events.length === 0) {
      expect(body.next_since_id).toBe(since);
      break;
    }
    expect(body.events.length).toBeLessThanOrEqual(2);
    seen.push(...body.events);
    since = body.next_since_id;
  }
  expect(seen).toEqual(all);
});

test('a limit below 1 means 1', async () => {
  for (const limit of ['0', '-1']) {
    const body = await client.get<EventsBody>(`/sessions/${session}/events?limit=${limit}`);
    expect(body.events).toEqual([all[0]]);
  }
});

test('past the last event: empty, and next_since_id is the since_id given', async () => {
  const last = all.at(-1)!.id;
  expect(await client.get(`/sessions/${session}/events?since_id=${last}`)).toEqual({ session_id: session, events: [], next_since_id: last });
  expect(await client.get(`/sessions/${session}/events?since_id=${last + 1000}`)).toEqual({
    session_id: session,
    events: [],
    next_since_id: last + 1000,
  });
});

test('a session sees only its own events', async () => {
  const other = await createSession(client);
  const theirs = (await turn(client, other, { message: 'hello' })).run_id;
  const otherEvents = await client.get<EventsBody>(`/sessions/${other}/events`);
  expect(otherEvents.events).toEqual([event(theirs, 'run_created', { worker_mode: 'local', idempotency_key: '' })]);
  expect(otherEvents.events[0]!.id).toBeGreaterThan(all.at(-1)!.id);
  const mine = await client.get<EventsBody>(`/sessions/${session}/events`);
  expect(mine.events).toEqual(all);
});

test('a session without events', async () => {
  const empty = await createSession(client);
  expect(await client.get(`/sessions/${empty}/events`)).toEqual({ session_id: empty, events: [], next_since_id: 0 });
  expect(await client.get(`/sessions/${empty}/events?since_id=42`)).toEqual({ session_id: empty, events: [], next_since_id: 42 });
});

test('404 for an unknown session (decision 2)', async () => {
  const response = await client.call('GET', '/sessions/nope/events');
  expect(response.status).toBe(404);
  expect(response.body).toEqual(detail("Unknown session_id 'nope'."));
});

test('422 for a non-integer since_id or limit', async () => {
  const sinceId = await client.call('GET', `/sessions/${session}/events?since_id=abc`);
  expect(sinceId.status).toBe(422);
  expect(sinceId.body).toEqual({ detail: [issue('int_parsing', ['query', 'since_id'], MSG.int_parsing, 'abc')] });
  const both = await client.call('GET', `/sessions/${session}/events?since_id=1.5&limit=x`);
  expect(both.status).toBe(422);
  expect(both.body).toEqual({
    detail: [
      issue('int_parsing', ['query', 'since_id'], MSG.int_parsing, '1.5'),
      issue('int_parsing', ['query', 'limit'], MSG.int_parsing, 'x'),
    ],
  });
});
