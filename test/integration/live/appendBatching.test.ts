// EventService.append groups the appends that arrive while a session's statement is in flight
// (group commit). These tests hold it to what a single append promised: every call stores its
// event exactly once, in call order, answers with the stored row, and reaches live readers.
import type { Event } from '../../../src/generated/prisma/client.js';
import { startTestService, waitUntil, type TestService } from '../../kit/service.js';

let service: TestService;
let runId: string;
beforeAll(async () => {
  service = await startTestService();
  await service.rest('POST', '/sessions', { session_id: 'burst' });
  await service.rest('POST', '/sessions', { session_id: 'other' });
  const turn = await service.rest('POST', '/sessions/burst/turn', { message: 'hello', wait_for_completion: true });
  runId = (turn.body as { run_id: string }).run_id;
});
afterAll(() => service.dispose());

interface StoredRow {
  id: string;
  run_id: string | null;
  event_type: string;
  payload: { n: number };
  ts: Date;
}

async function storedAfter(sessionId: string, afterId: bigint): Promise<StoredRow[]> {
  const result = await service.sql.query<StoredRow>(
    'SELECT id, run_id, event_type, payload, ts FROM events WHERE session_id = $1 AND id > $2 ORDER BY id',
    [sessionId, afterId.toString()],
  );
  return result.rows;
}

async function headOf(sessionId: string): Promise<bigint> {
  return BigInt(await service.services.events.head(sessionId));
}

test('a burst of concurrent appends is stored once each, in call order, and each caller gets its own row', async () => {
  const before = await headOf('burst');
  const calls = Array.from({ length: 500 }, (_, n) =>
    service.services.events.append({ sessionId: 'burst', runId, eventType: 'tool_output', payload: { n } }),
  );
  const answered = await Promise.all(calls);

  const stored = await storedAfter('burst', before);
  expect(stored.map((row) => row.payload.n)).toEqual(answered.map((_, n) => n));
  expect(answered.map((row) => row.id.toString())).toEqual(stored.map((row) => row.id));
  answered.forEach((row, n) => {
    expect(row).toMatchObject({ sessionId: 'burst', runId, eventType: 'tool_output', payload: { n } });
    expect(row.ts.getTime()).toBe(stored[n]?.ts.getTime());
  });
  // Ids rise with call order, so a reader polling with since_id never skips one.
  const ids = answered.map((row) => row.id);
  expect(ids.every((id, index) => index === 0 || id > (ids[index - 1] as bigint))).toBe(true);
});

test('bursts to several sessions interleave without mixing rows between sessions', async () => {
  const heads = { burst: await headOf('burst'), other: await headOf('other') };
  const calls: Array<Promise<Event>> = [];
  for (let n = 0; n < 300; n++) {
    const sessionId = n % 3 === 0 ? 'other' : 'burst';
    calls.push(service.services.events.append({ sessionId, runId: sessionId === 'burst' ? runId : null, eventType: 'note', payload: { n } }));
  }
  await Promise.all(calls);
  const burst = await storedAfter('burst', heads.burst);
  const other = await storedAfter('other', heads.other);
  expect(other.map((row) => row.payload.n)).toEqual(Array.from({ length: 100 }, (_, k) => k * 3));
  expect(burst.map((row) => row.payload.n)).toEqual(Array.from({ length: 300 }, (_, n) => n).filter((n) => n % 3 !== 0));
  expect(other.every((row) => row.run_id === null)).toBe(true);
});

test('appends to a session that does not exist fail, store nothing, and do not disturb another session', async () => {
  const before = await headOf('burst');
  const missing = Array.from({ length: 20 }, (_, n) =>
    service.services.events.append({ sessionId: 'no-such-session', runId: null, eventType: 'note', payload: { n } }).then(
      () => 'stored',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    ),
  );
  const fine = Array.from({ length: 20 }, (_, n) => service.services.events.append({ sessionId: 'burst', runId, eventType: 'note', payload: { n } }));
  expect(new Set(await Promise.all(missing))).toEqual(new Set(["Event not appended: session 'no-such-session' does not exist."]));
  await Promise.all(fine);
  expect((await storedAfter('burst', before)).map((row) => row.payload.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  const stray = await service.sql.query("SELECT count(*)::int AS count FROM events WHERE session_id = 'no-such-session'");
  expect(stray.rows[0]).toEqual({ count: 0 });
  // The session's queue is usable again after a failed batch.
  const later = await service.services.events.append({ sessionId: 'burst', runId, eventType: 'note', payload: { n: 99 } });
  expect(later.payload).toEqual({ n: 99 });
});

test('a live reader that follows the session sees every appended event once, in order', async () => {
  const from = Number(await headOf('burst'));
  const seen: number[] = [];
  const subscription = service.services.live.stream('burst', from, false);
  const reading = (async () => {
    for await (const item of subscription) {
      if (item.kind === 'event') seen.push(Number(item.event.id));
      if (seen.length === 400) break;
    }
  })();
  const answered = await Promise.all(
    Array.from({ length: 400 }, (_, n) => service.services.events.append({ sessionId: 'burst', runId, eventType: 'note', payload: { n } })),
  );
  await waitUntil(() => (seen.length === 400 ? true : undefined), 10_000, 'all 400 events live');
  await reading;
  expect(seen).toEqual(answered.map((row) => Number(row.id)));
});
