// Decision 7: concurrent duplicates of one idempotency key get the one run, never a 500.
import { startTestService, type TestService } from '../../kit/service.js';
import { createSession, type TurnBody } from './helpers.js';

let service: TestService | undefined;

afterEach(async () => {
  await service?.dispose();
  service = undefined;
});

describe.each(['local', 'queue'] as const)('%s mode', (mode) => {
  test('50 concurrent turns with one idempotency key make exactly one run', async () => {
    service = await startTestService({ env: { ANTON_SERVICE_WORKER_MODE: mode, ANTON_SERVICE_QUEUE_WORKER_COUNT: '1' } });
    const { rest, db } = service;
    const sessionId = `idem-${mode}`;
    await createSession(rest, sessionId);

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        rest('POST', `/sessions/${sessionId}/turn`, { message: 'only once', idempotency_key: 'same-key', wait_timeout_seconds: 10 }),
      ),
    );
    const failures = responses.filter((response) => response.status !== 200).map((response) => `${response.status} ${response.text}`);
    expect(failures).toEqual([]);

    const bodies = responses.map((response) => response.body as TurnBody);
    const runIds = new Set(bodies.map((body) => body.run_id));
    expect(runIds.size).toBe(1);
    const [runId] = [...runIds];
    expect(bodies.filter((body) => body.reused === false)).toHaveLength(1);
    expect(bodies.filter((body) => body.reused === true)).toHaveLength(49);
    for (const body of bodies) expect(body.run.id).toBe(runId);

    expect(await db.run.count({ where: { sessionId } })).toBe(1);
    expect(await db.run.count()).toBe(1);
    const created = await db.event.count({ where: { sessionId, eventType: 'run_created' } });
    expect(created).toBe(1);

    // The same key later still answers with that run.
    const again = await rest('POST', `/sessions/${sessionId}/turn`, { message: 'something else', idempotency_key: 'same-key' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ run_id: runId, reused: true });
  });
});
