// GET /sessions/{id}/events as Server-Sent Events: cursors (Last-Event-ID, since_id), framing,
// errors before the stream starts, the JSON route left as it was, and reply_delta frames.
import { ScriptedAgent } from '../../kit/agents.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { appendBatch, appendEvents, lastOf, openSse, Resources, sessionWithRun, sseEventIds, storedIds, until, type SseStream } from './liveKit.js';

const SESSION = 'sse';
let service: TestService;
let agent: ScriptedAgent;
let runId: string;
const resources = new Resources();

beforeAll(async () => {
  agent = new ScriptedAgent({
    stream: {
      steps: [{ reply: 'Hel' }, { event: 'tool_call', payload: { tool: 'probe' } }, { block: true }, { reply: 'lo' }, { event: 'assistant_reply', payload: { text: 'Hello' } }],
    },
  });
  service = await startTestService({ agent });
  runId = await sessionWithRun(service, SESSION);
  await appendBatch(service, SESSION, runId, 20);
});
afterEach(() => resources.closeAll());
afterAll(() => service?.dispose());

const eventsUrl = (query = ''): string => `${service.url}/sessions/${SESSION}/events${query}`;
const SSE = { accept: 'text/event-stream' };
type RestEvent = { id: number; run_id: string; ts: number; event_type: string; payload: Record<string, unknown> };

async function restEvents(sinceId: number): Promise<RestEvent[]> {
  const page = await service.rest('GET', `/sessions/${SESSION}/events?since_id=${sinceId}&limit=10000`);
  expect(page.status).toBe(200);
  return (page.body as { events: RestEvent[] }).events;
}

const dataFrames = (stream: SseStream): RestEvent[] =>
  stream.frames.filter((frame) => frame.id !== undefined).map((frame) => JSON.parse(frame.data ?? 'null') as RestEvent);

test('Last-Event-ID resumes after that id, since_id sets the start, and Last-Event-ID wins over since_id', async () => {
  const stored = await storedIds(service, SESSION);
  const [n, m, early] = [stored[10]!, stored[15]!, stored[2]!];

  const byHeader = await openSse(eventsUrl(), { ...SSE, 'last-event-id': String(n) }, resources);
  const byQuery = await openSse(eventsUrl(`?since_id=${m}`), SSE, resources);
  const both = await openSse(eventsUrl(`?since_id=${early}`), { ...SSE, 'Last-Event-ID': String(m) }, resources);
  for (const stream of [byHeader, byQuery, both]) {
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
  }
  // Then live: events appended after the streams started arrive on all three, once each.
  const appended = await appendEvents(service, SESSION, runId, 5, 100);
  const last = lastOf(appended);
  await until(() => [byHeader, byQuery, both].every((s) => lastOf(sseEventIds(s)) === last || s.ended), 'the live events on every stream').catch(() => undefined);

  const all = await storedIds(service, SESSION);
  expect(sseEventIds(byHeader)).toEqual(all.filter((id) => id > n));
  expect(sseEventIds(byQuery)).toEqual(all.filter((id) => id > m));
  expect(sseEventIds(both)).toEqual(all.filter((id) => id > m));

  // Framing: `retry:` first, then id/event/data frames whose data is the REST event JSON.
  expect(byHeader.frames[0]).toEqual({ retry: '2000' });
  const reference = await restEvents(n);
  expect(dataFrames(byHeader)).toEqual(reference);
  for (const frame of byHeader.frames.filter((f) => f.id !== undefined)) {
    const data = JSON.parse(frame.data ?? 'null') as RestEvent;
    expect(frame.id).toBe(String(data.id));
    expect(frame.event).toBe(data.event_type);
  }
  expect(byHeader.frames.some((f) => f.event === 'error')).toBe(false);
});

test('a plain GET still answers the JSON page; bad input and unknown sessions fail before any stream', async () => {
  const stored = await storedIds(service, SESSION);
  const plain = await service.rest('GET', `/sessions/${SESSION}/events?since_id=${stored[3]}&limit=5`);
  expect(plain.status).toBe(200);
  expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
  expect(plain.body).toEqual({ session_id: SESSION, events: expect.any(Array), next_since_id: stored[8] });
  expect((plain.body as { events: RestEvent[] }).events.map((e) => e.id)).toEqual(stored.slice(4, 9));
  const json = await service.rest('GET', `/sessions/${SESSION}/events`, undefined, { accept: 'application/json' });
  expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  expect((json.body as { events: unknown[] }).events).toHaveLength(stored.length);

  const unknown = await fetch(`${service.url}/sessions/nope/events`, { headers: SSE });
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await unknown.json()).toEqual({ detail: "Unknown session_id 'nope'." });

  const bad = await fetch(eventsUrl('?since_id=abc'), { headers: SSE });
  expect(bad.status).toBe(422);
  expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
  await bad.body?.cancel();
});

test('?reply_deltas=true adds reply_delta frames without an id; without it there are none', async () => {
  const head = lastOf(await storedIds(service, SESSION)) ?? 0;
  const withDeltas = await openSse(eventsUrl(`?since_id=${head}&reply_deltas=true`), SSE, resources);
  const without = await openSse(eventsUrl(`?since_id=${head}`), SSE, resources);
  // `retry:` is written once the subscription is registered: from then on no delta is missed.
  await until(() => withDeltas.frames.length > 0 && without.frames.length > 0, 'both streams to start');

  const started = agent.started.length;
  const turn = await service.rest('POST', `/sessions/${SESSION}/turn`, { message: 'stream', wait_for_completion: false });
  expect(turn.status).toBe(200);
  const turnRun = (turn.body as { run_id: string }).run_id;
  await agent.whenStarted(started + 1);
  const deltas = (stream: SseStream) => stream.frames.filter((f) => f.event === 'reply_delta');
  const text = (stream: SseStream) => deltas(stream).map((f) => (JSON.parse(f.data ?? '{}') as { text: string }).text).join('');
  await until(() => text(withDeltas) === 'Hel' && withDeltas.frames.some((f) => f.event === 'tool_call'), 'the first reply delta');
  agent.release();
  const done = (stream: SseStream) => stream.frames.some((f) => f.event === 'assistant_reply');
  await until(() => text(withDeltas) === 'Hello' && done(withDeltas) && done(without), 'the whole reply');

  for (const frame of deltas(withDeltas)) {
    expect(frame.id).toBeUndefined();
    expect(Object.keys(JSON.parse(frame.data ?? '{}') as object).sort()).toEqual(['run_id', 'text']);
    expect((JSON.parse(frame.data ?? '{}') as { run_id: string }).run_id).toBe(turnRun);
  }
  // Interleaved with the stored events of the same run.
  const order = withDeltas.frames.map((f) => f.event);
  expect(order.indexOf('reply_delta')).toBeGreaterThan(order.lastIndexOf('run_created'));
  expect(order.indexOf('reply_delta')).toBeLessThan(order.indexOf('assistant_reply'));
  expect(deltas(without)).toEqual([]);
  expect(sseEventIds(withDeltas)).toEqual(await storedIds(service, SESSION, head));
  expect(sseEventIds(without)).toEqual(sseEventIds(withDeltas));
});
