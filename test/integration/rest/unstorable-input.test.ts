import { startTestService, type TestService } from '../../kit/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  await service.rest('POST', '/sessions', { session_id: 'nul' });
});
afterAll(() => service.dispose());

// PostgreSQL cannot store NUL characters; the client hears so instead of a 500.
test.each([
  ['a turn message', '/sessions/nul/turn', { message: 'a\u0000b' }],
  ['session metadata', '/sessions', { metadata: { note: 'x\u0000y' } }],
  ['a session id', '/sessions', { session_id: 'n\u0000l' }],
])('NUL characters in %s are a 400', async (_what, path, body) => {
  const response = await service.rest('POST', path, body);
  expect(response.status).toBe(400);
  expect(response.body).toEqual({ detail: expect.stringMatching(/NUL|session_id/) });
});
