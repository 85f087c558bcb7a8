// Decision 8: within a session event ids strictly increase in commit order, so a reader polling
// with since_id never skips an event, even while many writers (on two service instances) append.
import { createTestDatabase, type TestDatabase } from '../../kit/db.js';
import { startTestService, type TestService } from '../../kit/service.js';
import { createSession, ok, turn, type EventBody, type EventsPage } from './helpers.js';

const WRITERS = 10;
// 50 each keeps the file to a few seconds; removing the session lock that orders ids (see
// src/events/repository.ts) made this test fail on every one of several runs at this size.
const PER_WRITER = 50;
const PAGE = 37;
// Appends to one session are serialised by its row lock (~15-40 ms each on a loaded 2-core machine),
// hence the longer timeout.

let database: TestDatabase | undefined;
const services: TestService[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.dispose()));
  await database?.drop();
  database = undefined;
});

test('a since_id poller sees every event exactly once while 10 writers append concurrently (2 service instances)', async () => {
  database = await createTestDatabase();
  const [reader, other] = await Promise.all([startTestService({ database }), startTestService({ database })]);
  services.push(reader!, other!);
  const { rest } = reader!;
  await createSession(rest, 'cursor');
  const { run_id: runId, status } = await turn(rest, 'cursor', 'hello');
  expect(status).toBe('completed');

  // Half the writers append through each service instance: two connection pools, one session.
  let writersDone = false;
  const writers = Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const { events } = (writer % 2 === 0 ? reader! : other!).services;
      for (let seq = 0; seq < PER_WRITER; seq += 1) {
        await events.append({ sessionId: 'cursor', runId, eventType: 'cursor_test', payload: { writer, seq } });
      }
    }),
  ).finally(() => {
    writersDone = true;
  });

  const seen: EventBody[] = [];
  const poller = (async () => {
    let since = 0;
    for (;;) {
      const finalLook = writersDone;
      const page = ok<EventsPage>(await rest('GET', `/sessions/cursor/events?since_id=${since}&limit=${PAGE}`), 'events page');
      expect(page.events.length).toBeLessThanOrEqual(PAGE);
      for (const event of page.events) {
        const last = seen.at(-1);
        if (last && event.id <= last.id) throw new Error(`event id ${event.id} after ${last.id}: ids must strictly increase`);
        seen.push(event);
      }
      expect(page.next_since_id).toBe(page.events.at(-1)?.id ?? since);
      since = page.next_since_id;
      // Stop only after an empty page that was asked for once every writer had finished.
      if (page.events.length === 0 && finalLook) return;
      // A short page means the poller has caught up: give the writers the CPU for a moment.
      if (page.events.length < PAGE) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  await Promise.all([writers, poller]);

  const stored = await reader!.db.event.findMany({ where: { sessionId: 'cursor' }, orderBy: { id: 'asc' } });
  expect(seen.map((event) => event.id)).toEqual(stored.map((event) => Number(event.id)));

  const appended = seen.filter((event) => event.event_type === 'cursor_test');
  expect(appended).toHaveLength(WRITERS * PER_WRITER);
  const keys = new Set(appended.map((event) => `${String(event.payload.writer)}:${String(event.payload.seq)}`));
  expect(keys.size).toBe(WRITERS * PER_WRITER);
  // Each writer appended one after another, so its events appear in its own order.
  for (let writer = 0; writer < WRITERS; writer += 1) {
    const sequence = appended.filter((event) => event.payload.writer === writer).map((event) => event.payload.seq);
    expect(sequence).toEqual(Array.from({ length: PER_WRITER }, (_, seq) => seq));
  }
}, 60_000);
