import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  await service.rest('POST', '/sessions', { session_id: 'live' });
  await service.rest('POST', '/sessions/live/turn', { message: 'first' });
});
afterAll(() => service.dispose());

test('ws replay then live', async () => {
  const client = createClient({ url: service.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, lazy: true });
  const seen: number[] = [];
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe<{ sessionEvents: { id: number; eventType: string } }>(
      { query: 'subscription { sessionEvents(sessionId: "live") { ... on Event { id eventType } } }' },
      { next: (value) => { seen.push(value.data!.sessionEvents.id); }, error: reject, complete: resolve },
    );
  });
  await waitUntil(() => (seen.length >= 1 ? true : undefined), 5000, 'replay');
  await service.rest('POST', '/sessions/live/turn', { message: 'second' });
  await waitUntil(() => (seen.length >= 2 ? true : undefined), 5000, 'live');
  await client.dispose();
  void done.catch(() => undefined);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
});

test('sse', async () => {
  const controller = new AbortController();
  const response = await fetch(service.url + '/sessions/live/events', { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('event: run_created')) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
  }
  controller.abort();
  expect(text).toMatch(/id: \d+\nevent: run_created\ndata: \{/);
});
