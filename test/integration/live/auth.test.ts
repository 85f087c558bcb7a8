// With ANTON_API_TOKENS set, live streams need the token too: graphql-ws in the connection_init
// payload (or the upgrade request's header), SSE in the Authorization header.
import WebSocket from 'ws';
import { startTestService, type TestService } from '../../kit/service.js';
import { eventIds, openSse, Resources, subscribeEvents, until, wsClient } from './liveKit.js';

const AUTH = { authorization: 'Bearer tok' };
let service: TestService;
const resources = new Resources();

beforeAll(async () => {
  service = await startTestService({ env: { ANTON_API_TOKENS: 'tok' } });
  expect((await service.rest('POST', '/sessions', { session_id: 'auth' }, AUTH)).status).toBe(200);
  expect((await service.rest('POST', '/sessions/auth/turn', { message: 'hi' }, AUTH)).status).toBe(200);
});
afterEach(() => resources.closeAll());
afterAll(() => service?.dispose());

test.each([
  ['no connectionParams', {}],
  ['a wrong token', { connectionParams: { authorization: 'Bearer nope' } }],
  ['a token without the Bearer scheme', { connectionParams: { authorization: 'tok' } }],
])('graphql-ws with %s is refused with close code 4403', async (_name, options) => {
  const { client, closes } = wsClient(service, resources, options);
  const sub = subscribeEvents(client, 'auth', 0);
  await sub.ended;
  expect(sub.items).toEqual([]);
  expect((sub.failure as { code?: number } | undefined)?.code).toBe(4403);
  expect(closes.map((c) => c.code)).toContain(4403);
});

test('graphql-ws with the token in connection_init, or in the upgrade request, is served', async () => {
  const inPayload = wsClient(service, resources, { connectionParams: { authorization: 'Bearer tok' } });
  const viaPayload = subscribeEvents(inPayload.client, 'auth', 0);

  class AuthorizedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers: AUTH });
    }
  }
  const inHeader = wsClient(service, resources, { webSocketImpl: AuthorizedWebSocket });
  const viaHeader = subscribeEvents(inHeader.client, 'auth', 0);

  await until(() => eventIds(viaPayload).length > 0 && eventIds(viaHeader).length > 0, 'events on both authorized connections');
  for (const sub of [viaPayload, viaHeader]) {
    expect(sub.errors).toEqual([]);
    expect(sub.failure).toBeUndefined();
  }
});

test('SSE without the token is a 401; with it the stream opens', async () => {
  const anonymous = await fetch(`${service.url}/sessions/auth/events`, { headers: { accept: 'text/event-stream' } });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  expect(await anonymous.json()).toEqual({ detail: 'Not authenticated.' });

  const wrong = await fetch(`${service.url}/sessions/auth/events`, { headers: { accept: 'text/event-stream', authorization: 'Bearer nope' } });
  expect(wrong.status).toBe(401);
  await wrong.body?.cancel();

  const stream = await openSse(`${service.url}/sessions/auth/events`, { accept: 'text/event-stream', ...AUTH }, resources);
  expect(stream.status).toBe(200);
  await until(() => stream.frames.some((f) => f.event === 'run_created'), 'the first event');
});
