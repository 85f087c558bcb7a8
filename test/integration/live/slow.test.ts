// Slow consumers: a live stream has a bounded queue (1000 items). A consumer that falls that far
// behind the live head is ended with SUBSCRIBER_TOO_SLOW and resumes from its last id; replay
// is paced by the consumer and never overflows (docs/events.md, "Slow consumers and limits").
import http from 'node:http';
import WebSocket from 'ws';
import type { AsyncQueue } from '../../../src/asyncQueue.js';
import type { LiveItem } from '../../../src/events/live.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';
import { bulkInsert, eventIds, lastOf, Resources, sessionWithRun, storedIds, subscribeEvents, until, wsClient } from './liveKit.js';

const LIMIT = 1000; // the service's live queue limit (not configurable through the test kit)
let service: TestService;
const resources = new Resources();

beforeAll(async () => {
  service = await startTestService();
});
beforeEach(() => until(() => service.services.live.subscriberCount === 0, 'the previous test’s streams to close'));
afterEach(() => resources.closeAll());
afterAll(() => service?.dispose());

/** Reads a queue until it ends, the last stored id is reached, or the deadline passes. */
async function drain(queue: AsyncQueue<LiveItem>, lastId: number, timeoutMs = 10_000): Promise<LiveItem[]> {
  const items: LiveItem[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const next = await Promise.race([
      queue.next(),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())).unref()),
    ]);
    if (next === 'timeout' || next.done) return items;
    items.push(next.value);
    if (next.value.kind === 'failure') return items;
    if (next.value.kind === 'event' && Number(next.value.event.id) >= lastId) return items;
  }
}

const idsOf = (items: LiveItem[]): number[] => items.flatMap((item) => (item.kind === 'event' ? [Number(item.event.id)] : []));
const failuresOf = (items: LiveItem[]) => items.flatMap((item) => (item.kind === 'failure' ? [item.error.code] : []));

test('LiveEvents: an unread live stream that falls more than the limit behind ends with SUBSCRIBER_TOO_SLOW', async () => {
  const sessionId = 'slow-direct';
  const runId = await sessionWithRun(service, sessionId);
  const head = lastOf(await storedIds(service, sessionId)) ?? 0;
  const queue = service.services.live.stream(sessionId, head, false);
  resources.add(() => void queue.return());

  // One live event, queued: the stream has joined the session's shared reader.
  await service.services.events.append({ sessionId, runId, eventType: 'test', payload: { n: 0 } });
  await until(() => queue.size === 1, 'the first live event to be queued');

  // More than the limit, while nobody reads.
  await bulkInsert(service, sessionId, runId, LIMIT + 100);
  await until(() => queue.closed, 'the stream to be ended as too slow');
  expect(service.services.live.subscriberCount).toBe(0);

  const items = await drain(queue, Number.MAX_SAFE_INTEGER);
  const stored = await storedIds(service, sessionId, head);
  const ids = idsOf(items);
  // Whatever it yields before the failure is a gap-free prefix of the session's events; the
  // failure is the last item, and the stream is done after it.
  expect(ids).toEqual(stored.slice(0, ids.length));
  expect(items.at(-1)).toMatchObject({ kind: 'failure', error: { code: 'SUBSCRIBER_TOO_SLOW' } });
  expect(failuresOf(items)).toEqual(['SUBSCRIBER_TOO_SLOW']);
  expect(await queue.next()).toEqual({ value: undefined, done: true });

  // Resuming from the last id received delivers the rest, once each.
  const lastSeen = lastOf(ids) ?? head;
  const resumed = service.services.live.stream(sessionId, lastSeen, false);
  resources.add(() => void resumed.return());
  const rest = await drain(resumed, lastOf(stored)!);
  expect(failuresOf(rest)).toEqual([]);
  expect([...ids, ...idsOf(rest)]).toEqual(stored);
});

test('LiveEvents: replay is paced by a slow consumer and never overflows', async () => {
  const sessionId = 'slow-replay';
  const runId = await sessionWithRun(service, sessionId);
  await bulkInsert(service, sessionId, runId, LIMIT + 600);
  const stored = await storedIds(service, sessionId);
  const queue = service.services.live.stream(sessionId, 0, false);
  resources.add(() => void queue.return());

  // The replay fills the queue up to the limit and waits for the consumer...
  await until(() => queue.size >= LIMIT || queue.closed, 'the replay to fill the queue');
  expect(queue.closed).toBe(false);
  // ...which takes one item, then dawdles until the replay has had the chance to go on.
  const first = await queue.next();
  await until(() => queue.size >= LIMIT || queue.closed, 'the replay to refill the queue');

  const items = [first.value as LiveItem, ...(await drain(queue, lastOf(stored)!))];
  expect(failuresOf(items)).toEqual([]);
  expect(idsOf(items)).toEqual(stored);
});

/** A bare graphql-transport-ws client, so that the test controls when it reads. */
async function rawSubscriber(sessionId: string, sinceId: number) {
  const socket = new WebSocket(service.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
  resources.add(() => socket.terminate());
  const messages: Array<{ type: string; id?: string; payload?: unknown }> = [];
  socket.on('message', (data) => void messages.push(JSON.parse(String(data)) as (typeof messages)[number]));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await until(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  socket.send(
    JSON.stringify({
      id: '1',
      type: 'subscribe',
      payload: { query: 'subscription($s: ID!, $since: SafeInt) { sessionEvents(sessionId: $s, sinceId: $since) { ... on Event { id payload } } }', variables: { s: sessionId, since: sinceId } },
    }),
  );
  return { socket, messages };
}

type NextPayload = { data?: { sessionEvents: { id: number } } | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

/** What the slow graphql-ws client received, for the resume test after it. */
let slowWs: { sessionId: string; received: number[] } | undefined;

test('graphql-ws: a client that stops reading gets SUBSCRIBER_TOO_SLOW', async () => {
  const sessionId = 'slow-ws';
  const runId = await sessionWithRun(service, sessionId);
  const { socket, messages } = await rawSubscriber(sessionId, 0);
  await until(() => messages.some((m) => m.type === 'next'), 'the replayed event');

  // Stop reading; the server's socket buffers fill, its sends stall, and the queue fills up.
  socket.pause();
  await bulkInsert(service, sessionId, runId, 3000, 4000);
  await until(() => service.services.live.subscriberCount === 0, 'the server to drop the slow subscription', 20_000);
  socket.resume();
  await until(() => messages.some((m) => m.type === 'complete' || m.type === 'error'), 'the end of the subscription', 20_000);

  const payloads = messages.filter((m) => m.type === 'next').map((m) => m.payload as NextPayload);
  const received = payloads.flatMap((p) => (p.data ? [p.data.sessionEvents.id] : []));
  const stored = await storedIds(service, sessionId);
  expect(received.length).toBeLessThan(stored.length);
  expect(received).toEqual(stored.slice(0, received.length));
  expect(payloads.at(-1)?.errors).toEqual([expect.objectContaining({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })]);
  expect(messages.at(-1)).toEqual({ id: '1', type: 'complete' });
  slowWs = { sessionId, received };
});

test('graphql-ws: the slow client resumes from its last id and gets the rest (a backlog larger than the queue) exactly once', async () => {
  if (!slowWs) throw new Error('needs the previous test');
  const { sessionId, received } = slowWs;
  const stored = await storedIds(service, sessionId);
  const { client } = wsClient(service, resources);
  const resumed = subscribeEvents(client, sessionId, lastOf(received)!);
  await until(() => lastOf(eventIds(resumed)) === lastOf(stored) || resumed.errors.length > 0, 'the resumed subscription to catch up', 20_000);
  expect(resumed.errors).toEqual([]);
  expect([...received, ...eventIds(resumed)]).toEqual(stored);
});

test('SSE: a client that stops reading gets an error frame with SUBSCRIBER_TOO_SLOW', async () => {
  const sessionId = 'slow-sse';
  const runId = await sessionWithRun(service, sessionId);
  let text = '';
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.get(`${service.url}/sessions/${sessionId}/events`, { headers: { accept: 'text/event-stream' } }, resolve);
    request.on('error', reject);
    resources.add(() => void request.destroy());
  });
  expect(response.statusCode).toBe(200);
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (text += chunk));
  let ended = false;
  response.on('end', () => (ended = true));
  response.on('error', () => (ended = true));
  await until(() => text.includes('event: run_created'), 'the replayed event');

  response.pause();
  await bulkInsert(service, sessionId, runId, 3000, 4000);
  // As over graphql-ws, the server must notice that this client is not keeping up.
  const dropped = await until(() => service.services.live.subscriberCount === 0, 'the server to drop the slow stream', 5000).then(
    () => true,
    () => false,
  );
  response.resume();
  const stored = await storedIds(service, sessionId);
  await waitUntil(() => (ended || text.includes('event: error') || text.includes(`id: ${lastOf(stored)}\n`) ? true : undefined), 20_000, 'the stream to end or deliver everything');

  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  expect(ids).toEqual(stored.slice(0, ids.length));
  const error = /event: error\ndata: (.*)\n/.exec(text);
  expect({ dropped, error: error ? (JSON.parse(error[1]!) as { code: string }).code : null, delivered: ids.length }).toEqual({
    dropped: true,
    error: 'SUBSCRIBER_TOO_SLOW',
    delivered: expect.any(Number),
  });
});
