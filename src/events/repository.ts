import type { Prisma, Event } from '../generated/prisma/client.js';
import type { SqlPool, Tx } from '../db/client.js';
import type { NewEvent } from './types.js';

/**
 * Several events of one session in ONE autocommit statement, in the order given: the same
 * lock-then-draw-ids rule as `append`, and one NOTIFY carrying the newest id (a listener reads
 * everything after its cursor, so one cursor per batch is enough and keeps NOTIFY traffic down).
 */
const APPEND_BATCH = `
WITH locked AS (SELECT id FROM sessions WHERE id = $1 FOR NO KEY UPDATE),
inserted AS (
  INSERT INTO events (session_id, run_id, ts, event_type, payload)
  SELECT locked.id, batch.run_id, clock_timestamp(), batch.event_type, batch.payload
  FROM locked, unnest($2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS batch(run_id, event_type, payload, position)
  ORDER BY batch.position
  RETURNING id, ts),
notified AS (
  SELECT pg_notify($5, json_build_object('kind', 'event', 'sessionId', $1::text, 'id', max(id))::text) AS sent
  FROM inserted HAVING count(*) > 0)
SELECT inserted.id, inserted.ts FROM inserted, notified ORDER BY inserted.id`;

const READ_AFTER = `
SELECT id, session_id, run_id, ts, event_type, payload FROM events
WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3`;

interface EventRow {
  id: string;
  session_id: string;
  run_id: string | null;
  ts: Date;
  event_type: string;
  payload: Prisma.JsonObject;
}

export class EventRepository {
  constructor(
    private readonly db: Tx,
    private readonly sql: SqlPool,
  ) {}

  /**
   * Appends events of one session, in order, outside any transaction, and returns their rows in
   * the same order. Throws when the session does not exist (then nothing is stored).
   */
  async appendBatch(sessionId: string, events: readonly NewEvent[], channel: string): Promise<Event[]> {
    const result = await this.sql.query<{ id: string; ts: Date }>(APPEND_BATCH, [
      sessionId,
      events.map((event) => event.runId),
      events.map((event) => event.eventType),
      events.map((event) => JSON.stringify(event.payload)),
      channel,
    ]);
    if (result.rows.length !== events.length) throw new Error(`Event not appended: session '${sessionId}' does not exist.`);
    return result.rows.map((row, index) => {
      const event = events[index] as NewEvent;
      return { id: BigInt(row.id), ts: row.ts, sessionId, runId: event.runId, eventType: event.eventType, payload: event.payload as Prisma.JsonObject };
    });
  }

  /**
   * At most `count` events with id > afterId, oldest first. Straight over `pg`: the live reader
   * runs it every few milliseconds per busy session.
   */
  async readAfter(sessionId: string, afterId: number, count: number): Promise<Event[]> {
    const result = await this.sql.query<EventRow>(READ_AFTER, [sessionId, afterId, count]);
    return result.rows.map((row) => ({
      id: BigInt(row.id),
      sessionId: row.session_id,
      runId: row.run_id,
      ts: row.ts,
      eventType: row.event_type,
      payload: row.payload,
    }));
  }

  /**
   * Appends one event and announces it, in ONE statement (inside the caller's transaction, or
   * on its own). The statement first locks the session's row and only then draws the id from the
   * sequence, so within a session ids are allocated in commit order and a reader polling with
   * since_id can never skip an event that commits late (decision 8). FOR NO KEY UPDATE does not
   * conflict with the KEY SHARE locks that inserting runs takes. The NOTIFY is delivered on
   * commit and carries only the cursor (docs/events.md).
   */
  async append(db: Tx, event: NewEvent, channel: string): Promise<Event> {
    const payload = JSON.stringify(event.payload);
    const rows = await db.$queryRaw<Array<{ id: bigint; ts: Date }>>`
      WITH locked AS (SELECT id FROM sessions WHERE id = ${event.sessionId} FOR NO KEY UPDATE),
      inserted AS (
        INSERT INTO events (session_id, run_id, ts, event_type, payload)
        SELECT locked.id, ${event.runId}, clock_timestamp(), ${event.eventType}, ${payload}::jsonb FROM locked
        RETURNING id, ts, session_id)
      SELECT inserted.id, inserted.ts,
             pg_notify(${channel}, json_build_object('kind', 'event', 'sessionId', inserted.session_id, 'id', inserted.id)::text)::text AS notified
      FROM inserted`;
    const row = rows[0];
    if (!row) throw new Error(`Event not appended: session '${event.sessionId}' does not exist.`);
    return { id: row.id, ts: row.ts, sessionId: event.sessionId, runId: event.runId, eventType: event.eventType, payload: event.payload as Prisma.JsonObject };
  }

  /** Events with id > sinceId, oldest first; one more than `limit` to tell whether more exist. */
  listForSession(sessionId: string, sinceId: number, limit: number): Promise<Event[]> {
    return this.readAfter(sessionId, sinceId, limit + 1);
  }

  async head(sessionId: string): Promise<number> {
    const newest = await this.db.event.findFirst({ where: { sessionId }, orderBy: { id: 'desc' }, select: { id: true } });
    return newest ? Number(newest.id) : 0;
  }

  listForRun(runId: string, sinceId: number, limit: number): Promise<Event[]> {
    return this.db.event.findMany({
      where: { runId, id: { gt: BigInt(sinceId) } },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
  }
}
