// sessionEvents subscriptions whose selection reads only the event share one execution and one
// serialised frame per event (src/server/ws/sharedDelivery.ts). Each subscriber must still get
// exactly what graphql-ws would have sent it, and one client that stops reading must not hold up
// the others.
import { parse } from 'graphql';
import WebSocket from 'ws';
import { shareKeyOf } from '../../../src/server/ws/shareable.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { appendBatch, appendEvents, bulkInsert, lastOf, Resources, sessionWithRun, storedIds, until } from './liveKit.js';

let service: TestService;
const resources = new Resources();

beforeAll(async () => {
  service = await startTestService();
});
afterEach(() => resources.closeAll());
afterAll(() => service?.dispose());

interface RawMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A bare graphql-transport-ws connection that records every message as the exact text received. */
async function rawConnection() {
  const socket = new WebSocket(service.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
  resources.add(() => socket.terminate());
  const texts: string[] = [];
  socket.on('message', (data) => void texts.push(String(data)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await until(() => texts.some((t) => (JSON.parse(t) as RawMessage).type === 'connection_ack'), 'connection_ack');
  const messages = (): RawMessage[] => texts.map((t) => JSON.parse(t) as RawMessage);
  return {
    socket,
    texts,
    messages,
    subscribe: (id: string, query: string, variables: Record<string, unknown>) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    /** The exact text of every `next` for one subscription id. */
    nextTexts: (id: string): string[] => texts.filter((t) => {
      const m = JSON.parse(t) as RawMessage;
      return m.type === 'next' && m.id === id;
    }),
  };
}

type Next = { data?: { sessionEvents: { id: number } } | null; errors?: unknown[] };
const idsOf = (texts: string[]): number[] =>
  texts.flatMap((t) => {
    const payload = (JSON.parse(t) as { payload: Next }).payload;
    return payload.data ? [payload.data.sessionEvents.id] : [];
  });

/** Plain event fields, a variable-driven @include and a fragment: provably shareable. */
const SHARED = `subscription($s: ID!, $since: SafeInt, $withTs: Boolean!) {
  sessionEvents(sessionId: $s, sinceId: $since) {
    __typename
    ... on Event { id sessionId runId eventType payload ts @include(if: $withTs) }
    ...Delta
  }
}
fragment Delta on ReplyDelta { text }`;

test('the share key: same selection and selection variables share; cursors do not matter; anything else falls back', () => {
  const doc = parse(SHARED);
  const a = shareKeyOf(doc, undefined, { s: 'x', since: 1, withTs: true });
  expect(a).not.toBeNull();
  expect(shareKeyOf(parse(SHARED), undefined, { s: 'y', since: 99, withTs: true })).toBe(a);
  expect(shareKeyOf(doc, undefined, { s: 'x', since: 1, withTs: false })).not.toBe(a);
  // Not provably item-only: other root fields, nested selections, arguments, unknown directives.
  expect(shareKeyOf(parse('subscription { runUpdates(sessionId: "x") { id } }'), undefined, {})).toBeNull();
  expect(shareKeyOf(parse('subscription { sessionEvents(sessionId: "x") { ... on Event { id @custom } } }'), undefined, {})).toBeNull();
  expect(shareKeyOf(parse('subscription { sessionEvents(sessionId: "x") @include(if: true) { __typename } }'), undefined, {})).toBeNull();
  expect(shareKeyOf(parse('query { health { status } }'), undefined, {})).toBeNull();
});

test('shared frames are byte-identical to the ordinary path, per subscription id and cursor', async () => {
  const sessionId = 'shared-frames';
  const runId = await sessionWithRun(service, sessionId);
  const head = lastOf(await storedIds(service, sessionId)) ?? 0;
  const a = await rawConnection();
  const b = await rawConnection();
  // Three subscribers share one execution (different ids, connections and cursors); the fourth
  // selects the same fields with a directive on the root field, which the analysis does not
  // share, so it goes through graphql-ws's own path: the reference.
  a.subscribe('one', SHARED, { s: sessionId, since: head, withTs: true });
  a.subscribe('two', SHARED, { s: sessionId, since: 0, withTs: true });
  b.subscribe('x"quoted', SHARED, { s: sessionId, since: head, withTs: true });
  const ordinary = SHARED.replace('sessionEvents(sessionId: $s, sinceId: $since)', 'sessionEvents(sessionId: $s, sinceId: $since) @skip(if: false)');
  expect(shareKeyOf(parse(ordinary), undefined, {})).toBeNull();
  b.subscribe('plain', ordinary, { s: sessionId, since: head, withTs: true });
  // Every subscription has joined the live stream once it has the first appended event.
  const [first] = await appendEvents(service, sessionId, runId, 1);
  await until(() => ['one', 'two'].every((id) => idsOf(a.nextTexts(id)).includes(first!)) && ['x"quoted', 'plain'].every((id) => idsOf(b.nextTexts(id)).includes(first!)), 'all four to be live');

  const appended = [...(await appendBatch(service, sessionId, runId, 50, 1)), ...(await appendEvents(service, sessionId, runId, 20, 51))];
  const last = lastOf(appended)!;
  await until(
    () => idsOf(a.nextTexts('one')).includes(last) && idsOf(a.nextTexts('two')).includes(last) && idsOf(b.nextTexts('x"quoted')).includes(last) && idsOf(b.nextTexts('plain')).includes(last),
    'every subscription to reach the last event',
  );
  const stored = await storedIds(service, sessionId);
  expect(idsOf(a.nextTexts('two'))).toEqual(stored);
  const live = stored.filter((id) => id > head);
  const frames = (texts: string[], id: string) => texts.map((t) => t.replace(`{"id":${JSON.stringify(id)},`, '{"id":ID,'));
  const reference = frames(b.nextTexts('plain'), 'plain');
  expect(idsOf(b.nextTexts('plain'))).toEqual(live);
  expect(frames(a.nextTexts('one'), 'one')).toEqual(reference);
  expect(frames(b.nextTexts('x"quoted'), 'x"quoted')).toEqual(reference);
  expect(frames(a.nextTexts('two'), 'two').slice(-live.length)).toEqual(reference);
  // And what the ordinary path sends is an ordinary graphql-ws frame with the event's fields.
  expect(JSON.parse(b.nextTexts('plain')[0]!)).toEqual({
    id: 'plain',
    type: 'next',
    payload: { data: { sessionEvents: { __typename: 'Event', id: live[0], sessionId, runId, eventType: 'test', payload: { n: 0 }, ts: expect.any(String) } } },
  });
});

test('a client that stops reading does not hold up the others; it alone is ended as too slow', async () => {
  const sessionId = 'shared-slow';
  const runId = await sessionWithRun(service, sessionId);
  const head = lastOf(await storedIds(service, sessionId)) ?? 0;
  const stalled = await rawConnection();
  const healthy = await rawConnection();
  const query = 'subscription($s: ID!, $since: SafeInt) { sessionEvents(sessionId: $s, sinceId: $since) { ... on Event { id payload } } }';
  stalled.subscribe('1', query, { s: sessionId, since: head });
  healthy.subscribe('1', query, { s: sessionId, since: head });
  const [first] = await appendEvents(service, sessionId, runId, 1);
  await until(() => idsOf(stalled.nextTexts('1')).includes(first!) && idsOf(healthy.nextTexts('1')).includes(first!), 'both to be live');

  stalled.socket.pause();
  // In steps the healthy client can absorb (a single burst larger than the live queue would end
  // any client that cannot drain it in time, by design): the stalled one falls further behind.
  for (let step = 0; step < 10 && service.services.live.subscriberCount === 2; step++) {
    await bulkInsert(service, sessionId, runId, 300, 4000);
    const newest = lastOf(await storedIds(service, sessionId));
    await until(() => lastOf(idsOf(healthy.nextTexts('1'))) === newest, 'the healthy client to keep up', 10_000);
  }
  await until(() => service.services.live.subscriberCount === 1, 'the server to drop the stalled subscription', 20_000);
  await bulkInsert(service, sessionId, runId, 10);
  const stored = await storedIds(service, sessionId);
  await until(() => lastOf(idsOf(healthy.nextTexts('1'))) === lastOf(stored), 'the healthy client to get every event', 20_000);
  expect(idsOf(healthy.nextTexts('1'))).toEqual(stored.filter((id) => id > head));
  expect(healthy.messages().filter((m) => m.type === 'next' && (m.payload as Next).errors)).toEqual([]);

  stalled.socket.resume();
  await until(() => stalled.messages().some((m) => m.type === 'complete'), 'the stalled subscription to end', 20_000);
  const payloads = stalled.messages().filter((m) => m.type === 'next').map((m) => m.payload as Next & { errors?: Array<{ extensions?: { code?: string } }> });
  const received = payloads.flatMap((p) => (p.data ? [p.data.sessionEvents.id] : []));
  expect(received).toEqual(stored.filter((id) => id > head).slice(0, received.length));
  expect(received.length).toBeLessThan(stored.length - 1);
  expect(payloads.at(-1)?.errors).toEqual([expect.objectContaining({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })]);
  expect(stalled.messages().at(-1)).toEqual({ id: '1', type: 'complete' });
});

test('completing one shared subscription leaves the others on the connection running', async () => {
  const sessionId = 'shared-complete';
  const runId = await sessionWithRun(service, sessionId);
  const head = lastOf(await storedIds(service, sessionId)) ?? 0;
  const conn = await rawConnection();
  const query = 'subscription($s: ID!, $since: SafeInt) { sessionEvents(sessionId: $s, sinceId: $since) { ... on Event { id } } }';
  conn.subscribe('a', query, { s: sessionId, since: head });
  conn.subscribe('b', query, { s: sessionId, since: head });
  const [first] = await appendEvents(service, sessionId, runId, 1);
  await until(() => idsOf(conn.nextTexts('a')).includes(first!) && idsOf(conn.nextTexts('b')).includes(first!), 'both to be live');
  conn.socket.send(JSON.stringify({ id: 'a', type: 'complete' }));
  await until(() => service.services.live.subscriberCount === 1, 'the completed stream to end on the server');
  const [second] = await appendEvents(service, sessionId, runId, 1, 1);
  await until(() => idsOf(conn.nextTexts('b')).includes(second!), 'the other subscription to go on');
  expect(idsOf(conn.nextTexts('a'))).toEqual([first]);
  // The server does not answer a client's complete.
  expect(conn.messages().filter((m) => m.type === 'complete')).toEqual([]);
});
