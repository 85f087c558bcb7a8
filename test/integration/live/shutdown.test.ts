// Shutting the service down with live clients connected: the WebSocket is closed, the SSE
// response ends, and dispose() returns promptly instead of waiting for the clients to leave.
import { startTestService, type TestService } from '../../kit/service.js';
import { eventIds, openSse, Resources, sessionWithRun, subscribeEvents, until, wsClient } from './liveKit.js';

const resources = new Resources();
let service: TestService | undefined;
let disposing: Promise<void> | undefined;

afterEach(async () => {
  await resources.closeAll();
  // If dispose() hung in the test, the clients are gone now: let it finish.
  await (disposing ?? service?.dispose());
});

test('dispose() with a graphql-ws and an SSE client connected completes quickly and closes both', async () => {
  service = await startTestService();
  await sessionWithRun(service, 'bye');
  const ws = wsClient(service, resources);
  const sub = subscribeEvents(ws.client, 'bye', 0);
  const sse = await openSse(`${service.url}/sessions/bye/events`, { accept: 'text/event-stream' }, resources);
  await until(() => eventIds(sub).length > 0 && sse.frames.some((f) => f.event === 'run_created'), 'both clients to be streaming');

  const started = Date.now();
  disposing = service.dispose();
  const outcome = await Promise.race([
    disposing.then(() => 'disposed' as const),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5000).unref()),
  ]);
  const elapsed = Date.now() - started;
  // Observed with the clients still open at this point.
  const sseEnded = sse.ended;
  const wsClosed = ws.closes.length > 0 || sub.failure !== undefined || sub.completed;

  expect({ outcome, sseEnded, wsClosed }).toEqual({ outcome: 'disposed', sseEnded: true, wsClosed: true });
  expect(elapsed).toBeLessThan(5000);
  expect(ws.closes.map((c) => c.code)).toEqual([1001]);
});
