import type { Prisma, Event } from '../generated/prisma/client.js';
import type { Tx } from '../db/client.js';
import type { NewEvent } from './types.js';

export class EventRepository {
  constructor(private readonly db: Tx) {}

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

  /** At most `count` events with id > afterId, oldest first. */
  readAfter(sessionId: string, afterId: number, count: number): Promise<Event[]> {
    return this.db.event.findMany({
      where: { sessionId, id: { gt: BigInt(afterId) } },
      orderBy: { id: 'asc' },
      take: count,
    });
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
