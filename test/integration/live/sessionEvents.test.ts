// sessionEvents over a real graphql-ws connection: replay then live with a concurrent writer,
// resuming from a cursor, delivery across two service processes, and reply deltas.
import { EventRepository } from '../../../src/events/repository.js';
import { LiveEvents, type LiveItem } from '../../../src/events/live.js';
import { createLogger } from '../../../src/logger.js';
import { ScriptedAgent, type Script } from '../../kit/agents.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import {
  appendBatch,
  appendEvents,
  eventIds,
  lastOf,
  Resources,
  sessionWithRun,
  storedIds,
  subscribeEvents,
  until,
  wsClient,
  type StreamDelta,
  type StreamItem,
} from './liveKit.js';

const streaming: Script = {
  steps: [
    { reply: 'Hel' },
    { event: 'tool_call', payload: { tool: 'probe' } },
    { block: true },
    { reply: 'lo' },
    { event: 'assistant_reply', payload: { text: 'Hello' } },
  ],
};
const scripts = { stream: streaming, quick: { steps: [{ reply: 'Hel' }, { reply: 'lo' }] } };

let serviceA: TestService;
let serviceB: TestService;
let agentA: ScriptedAgent;
const resources = new Resources();

beforeAll(async () => {
  agentA = new ScriptedAgent(scripts);
  serviceA = await startTestService({ agent: agentA });
  serviceB = await startTestService({ database: serviceA.database, agent: new ScriptedAgent(scripts) });
});
afterEach(() => resources.closeAll());
afterAll(async () => {
  await serviceB?.dispose();
  await serviceA?.dispose();
});

const deltasOf = (items: Array<{ sessionEvents: StreamItem }>): StreamDelta[] =>
  items.flatMap(({ sessionEvents: item }) => (item.__typename === 'ReplyDelta' ? [item] : []));
const typesOf = (items: Array<{ sessionEvents: StreamItem }>): string[] =>
  items.map(({ sessionEvents: item }) => (item.__typename === 'ReplyDelta' ? `delta:${item.text}` : item.eventType));

test('replay then live while writers append concurrently: every id exactly once, in order', async () => {
  const sessionId = 'replay-live';
  const runId = await sessionWithRun(serviceA, sessionId);
  await appendBatch(serviceA, sessionId, runId, 300);

  const { client } = wsClient(serviceA, resources);
  const sub = subscribeEvents(client, sessionId, 0);
  // 700 more while the subscriber replays and then goes live, as fast as two concurrent writers
  // can: one commits an event per transaction, the other twenty per transaction.
  const batches = async (): Promise<number[]> => {
    const ids: number[] = [];
    for (let b = 0; b < 30; b++) ids.push(...(await appendBatch(serviceA, sessionId, runId, 20, 400 + b * 20)));
    return ids;
  };
  const writers = [appendEvents(serviceA, sessionId, runId, 100, 300), batches()];
  let writersDone = false;
  const writing = Promise.all(writers).then((ids) => {
    writersDone = true;
    return ids.flat();
  });
  // The premise: the subscriber's replay starts while the writers are still appending.
  await until(() => eventIds(sub).length > 0 || sub.errors.length > 0, 'the first replayed event');
  const replayStartedWhileWriting = !writersDone;
  const written = await writing;
  const lastWritten = Math.max(...written);

  await until(() => lastOf(eventIds(sub)) === lastWritten || sub.errors.length > 0 || sub.completed, 'the subscriber to reach the last appended id', 15_000).catch(
    () => undefined,
  );
  const stored = await storedIds(serviceA, sessionId);
  expect(stored).toHaveLength(1 + 300 + 700); // run_created + seeded + written
  expect(sub.errors).toEqual([]);
  const ids = eventIds(sub);
  expect(ids).toEqual(stored); // every id once, in table (commit) order, ending with the last one
  expect(lastOf(ids)).toBe(lastWritten);
  expect(replayStartedWhileWriting).toBe(true);
});

test('resuming after a disconnect from the last id seen delivers the rest exactly once', async () => {
  const sessionId = 'resume';
  const runId = await sessionWithRun(serviceA, sessionId);
  await appendBatch(serviceA, sessionId, runId, 60);

  const first = wsClient(serviceA, resources);
  const sub1 = subscribeEvents(first.client, sessionId, 0);
  await until(() => eventIds(sub1).length >= 10, 'some events on the first connection');
  await first.client.dispose();
  const seen1 = eventIds(sub1);
  const lastSeen = lastOf(seen1) ?? 0;

  const appended = await appendEvents(serviceA, sessionId, runId, 30, 60);
  const second = wsClient(serviceA, resources);
  const sub2 = subscribeEvents(second.client, sessionId, lastSeen);
  await until(() => lastOf(eventIds(sub2)) === lastOf(appended) || sub2.errors.length > 0, 'the resumed subscriber to catch up').catch(() => undefined);

  expect(sub2.errors).toEqual([]);
  expect(eventIds(sub2)).toEqual(await storedIds(serviceA, sessionId, lastSeen));
  expect([...seen1, ...eventIds(sub2)]).toEqual(await storedIds(serviceA, sessionId));
  // Nothing arrives on the disposed connection after it closed.
  expect(eventIds(sub1)).toEqual(seen1);
});

test('events and reply deltas written by another process reach a subscriber (LISTEN/NOTIFY)', async () => {
  const sessionId = 'two-processes';
  // Everything is written through service B; the subscriber is on service A.
  await sessionWithRun(serviceB, sessionId);
  const { client } = wsClient(serviceA, resources);
  const sub = subscribeEvents(client, sessionId, 0, true);
  // Its first event proves the subscription is registered, so no (live-only) delta can be missed.
  await until(() => eventIds(sub).length > 0, 'the subscription to start on A');

  const turn = await serviceB.rest('POST', `/sessions/${sessionId}/turn`, { message: 'quick' });
  expect(turn.status).toBe(200);
  const runId = (turn.body as { run_id: string }).run_id;
  const appended = await appendEvents(serviceB, sessionId, runId, 40);

  await until(
    () => lastOf(eventIds(sub)) === lastOf(appended) && deltasOf(sub.items).map((d) => d.text).join('') === 'Hello',
    'the events and the reply of process B on process A',
  ).catch(() => undefined);
  expect(sub.errors).toEqual([]);
  expect(eventIds(sub)).toEqual(await storedIds(serviceA, sessionId));
  expect(deltasOf(sub.items).map((d) => d.text).join('')).toBe('Hello');
  expect(deltasOf(sub.items).every((d) => d.runId === runId && d.sessionId === sessionId)).toBe(true);
});

test('includeReplyDeltas interleaves ReplyDelta items with stored events; without it none arrive', async () => {
  const sessionId = 'deltas';
  await sessionWithRun(serviceA, sessionId);
  const { client } = wsClient(serviceA, resources);
  const withDeltas = subscribeEvents(client, sessionId, 0, true);
  const withoutDeltas = subscribeEvents(client, sessionId, 0, false);
  await until(() => eventIds(withDeltas).length > 0 && eventIds(withoutDeltas).length > 0, 'both subscriptions to start');

  const started = agentA.started.length;
  const turn = await serviceA.rest('POST', `/sessions/${sessionId}/turn`, { message: 'stream', wait_for_completion: false });
  expect(turn.status).toBe(200);
  const runId = (turn.body as { run_id: string }).run_id;
  await agentA.whenStarted(started + 1);

  // The first part of the reply streams while the run is still blocked in the agent.
  await until(
    () => deltasOf(withDeltas.items).some((d) => d.text === 'Hel') && typesOf(withDeltas.items).includes('tool_call'),
    'the first reply delta and the tool_call event',
  );
  agentA.release();
  await until(
    () =>
      deltasOf(withDeltas.items).map((d) => d.text).join('') === 'Hello' &&
      typesOf(withDeltas.items).includes('assistant_reply') &&
      typesOf(withoutDeltas.items).includes('assistant_reply'),
    'the rest of the reply',
  );

  const deltas = deltasOf(withDeltas.items);
  expect(deltas.map((d) => d.text).join('')).toBe('Hello');
  expect(deltas.every((d) => d.runId === runId && d.sessionId === sessionId)).toBe(true);
  const order = typesOf(withDeltas.items);
  // Interleaved: the first delta comes after run_created and before the events appended later.
  expect(order.indexOf('delta:Hel')).toBeGreaterThan(order.lastIndexOf('run_created'));
  expect(order.indexOf('delta:Hel')).toBeLessThan(order.indexOf('assistant_reply'));
  expect(eventIds(withDeltas)).toEqual(await storedIds(serviceA, sessionId));
  expect(deltasOf(withoutDeltas.items)).toEqual([]);
  expect(eventIds(withoutDeltas)).toEqual(eventIds(withDeltas));
  const run = await waitUntil(async () => {
    const body = (await serviceA.rest('GET', `/runs/${runId}`)).body as { status: string; response: string };
    return body.status === 'running' ? undefined : body;
  });
  expect(run).toMatchObject({ status: 'completed', response: 'Hello' });
});

test('an event that commits while a new subscriber reads its catch-up page is delivered without waiting for another event', async () => {
  const sessionId = 'seam-race';
  const runId = await sessionWithRun(serviceA, sessionId);
  const head = lastOf(await storedIds(serviceA, sessionId)) ?? 0;

  // A LiveEvents over the real table whose first read is slow: its snapshot is taken at once, but
  // the rows come back only when the test says so (a query that started before a commit).
  const repository = new EventRepository(serviceA.db, serviceA.sql);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reads = 0;
  const live = new LiveEvents(
    async (sid, afterId, limit) => {
      const rows = await repository.listForSession(sid, afterId, limit - 1);
      if (++reads === 1) await gate;
      return rows;
    },
    (sid) => repository.head(sid),
    { queueLimit: 1000, batchSize: 500 },
    createLogger('silent'),
  );
  const queue = live.stream(sessionId, head, false);
  resources.add(() => void queue.return());
  await until(() => reads === 1, 'the catch-up read to start');

  // An event commits meanwhile, and the process hears of it (here and over NOTIFY: twice).
  const row = await serviceA.services.events.append({ sessionId, runId, eventType: 'test', payload: { late: true } });
  live.notify(sessionId);
  live.notify(sessionId);
  release();

  const delivered = await waitUntil(() => (queue.size > 0 ? true : undefined), 2000, 'the late event').catch(() => false);
  const first = queue.size > 0 ? ((await queue.next()).value as LiveItem) : null;
  expect({ delivered, id: first?.kind === 'event' ? Number(first.event.id) : null }).toEqual({ delivered: true, id: Number(row.id) });
});
