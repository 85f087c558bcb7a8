import { startTestService, type TestService } from '../../kit/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.dispose());

test('session → turn → events → trace → metrics', async () => {
  const created = await service.rest('POST', '/sessions', { session_id: 'smoke' });
  expect(created.status).toBe(200);
  const turn = await service.rest('POST', '/sessions/smoke/turn', { message: 'hello' });
  expect(turn.status).toBe(200);
  expect(turn.body).toMatchObject({ status: 'completed', reply: 'done', reused: false });
  const events = await service.rest('GET', '/sessions/smoke/events');
  expect(events.status).toBe(200);
  const trace = await service.rest('GET', `/runs/${(turn.body as { run_id: string }).run_id}/trace`);
  expect(trace.status).toBe(200);
  const metrics = await service.rest('GET', '/metrics');
  expect(metrics.body).toMatchObject({ run_count: 1, completed: 1 });
});
