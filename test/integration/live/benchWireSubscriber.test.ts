// The live-events benchmark's default subscriber (bench/lib/wireSubscriber.ts) speaks
// graphql-transport-ws over a hand-written WebSocket client and reads event messages on a fast
// path. Its figures are only worth something if it reads what the service sends: checked here
// against the real service, message for message, with the library-style parse as the reference.
import { wireSubscriber, type WireHandlers } from '../../../bench/lib/wireSubscriber.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { Resources, sessionWithRun, until, wsUrl } from './liveKit.js';

let service: TestService;
let runId: string;
const resources = new Resources();
const SESSION = 'bench-wire';

const QUERY = `subscription Wire($sessionId: ID!, $sinceId: SafeInt) {
  sessionEvents(sessionId: $sessionId, sinceId: $sinceId) {
    ... on Event { id sessionId runId ts eventType payload }
  }
}`;

beforeAll(async () => {
  service = await startTestService();
  runId = await sessionWithRun(service, SESSION);
});
afterEach(() => resources.closeAll());
afterAll(() => service?.dispose());

interface Seen {
  connected: boolean;
  events: Array<{ seq: number; sentAt: number }>;
  messages: Array<{ type?: string; payload?: unknown }>;
  errors: string[];
  closedWith: Array<number | null>;
}

function open(url: string, sinceId: number, sessionId = SESSION): Seen {
  const seen: Seen = { connected: false, events: [], messages: [], errors: [], closedWith: [] };
  const handlers: WireHandlers = {
    onConnected: () => {
      seen.connected = true;
    },
    onEvent: (seq, sentAt) => seen.events.push({ seq, sentAt }),
    onMessage: (message) => seen.messages.push(message),
    onError: (message) => seen.errors.push(message),
    onClose: (code) => seen.closedWith.push(code),
  };
  const subscriber = wireSubscriber(url, { query: QUERY, variables: { sessionId, sinceId } }, handlers);
  resources.add(() => subscriber.dispose());
  return seen;
}

test('every event message is read on the fast path with the exact seq and sentAt; other messages are parsed in full', async () => {
  const head = await service.services.events.head(SESSION);
  const seen = open(wsUrl(service), head);
  await until(() => seen.connected, 'connection_ack');
  // sentAt values like the bench's (performance.timeOrigin + performance.now()), and a few edge cases.
  const sent = Array.from({ length: 300 }, (_, seq) => ({ seq, sentAt: seq % 3 === 0 ? 1795924000000 + seq : 1795924000000.123 + seq / 7 }));
  sent.push({ seq: 300, sentAt: 0.5 });
  for (const payload of sent) await service.services.events.append({ sessionId: SESSION, runId, eventType: 'bench_tick', payload });
  await service.services.events.append({ sessionId: SESSION, runId, eventType: 'bench_warmup', payload: { warmup: true } });
  await until(() => seen.messages.length === 1, 'the warm-up message');
  expect(seen.errors).toEqual([]);
  expect(seen.events.map((e) => e.seq)).toEqual(sent.map((e) => e.seq));
  seen.events.forEach((event, i) => expect(Math.abs(event.sentAt - (sent[i] as { sentAt: number }).sentAt)).toBeLessThanOrEqual(1e-6));
  const [warmup] = seen.messages;
  expect(warmup).toMatchObject({ type: 'next', payload: { data: { sessionEvents: { eventType: 'bench_warmup', payload: { warmup: true } } } } });
});

test('an event whose payload has another shape falls back to the full parse', async () => {
  const head = await service.services.events.head(SESSION);
  const seen = open(wsUrl(service), head);
  await until(() => seen.connected, 'connection_ack');
  await service.services.events.append({ sessionId: SESSION, runId, eventType: 'bench_tick', payload: { seq: 1, sentAt: 2, extra: 'x' } });
  await service.services.events.append({ sessionId: SESSION, runId, eventType: 'bench_tick', payload: { seq: -1, sentAt: 1e21 } });
  await until(() => seen.messages.length === 2, 'both messages');
  expect(seen.events).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('a refused upgrade is reported, not taken for a connection', async () => {
  const seen = open(service.url.replace(/^http/, 'ws') + '/not-graphql', 0);
  await until(() => seen.errors.length > 0, 'the refusal');
  expect(seen.errors[0]).toMatch(/upgrade was refused|ECONNRESET|socket hang up/);
  expect(seen.connected).toBe(false);
});

test('a subscription that fails (an unknown session) arrives parsed in full: its errors, then complete', async () => {
  const seen = open(wsUrl(service), 0, 'no-such-session');
  await until(() => seen.messages.some((m) => m.type === 'complete'), 'complete');
  expect(seen.events).toEqual([]);
  expect(seen.messages.map((m) => m.type)).toEqual(['next', 'complete']);
  expect(seen.messages[0]).toMatchObject({ payload: { errors: [{ extensions: { code: 'NOT_FOUND' } }] } });
});
