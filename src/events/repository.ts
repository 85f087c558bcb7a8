import type { Prisma, Event } from '../generated/prisma/client.js';
import type { Tx } from '../db/client.js';
import type { NewEvent } from './types.js';

export class EventRepository {
  constructor(private readonly db: Tx) {}

  /**
   * Appends one event inside the caller's transaction. The session row is locked first and the
   * id drawn from the sequence only then, so within a session ids are allocated in commit order
   * and a reader polling with since_id can never skip an event that commits late (decision 8).
   * FOR NO KEY UPDATE does not conflict with the KEY SHARE locks that inserting runs takes.
   */
  async append(tx: Tx, event: NewEvent): Promise<Event> {
    await tx.$executeRaw`SELECT 1 FROM sessions WHERE id = ${event.sessionId} FOR NO KEY UPDATE`;
    const payload = JSON.stringify(event.payload);
    const rows = await tx.$queryRaw<Array<{ id: bigint; ts: Date }>>`
      INSERT INTO events (session_id, run_id, ts, event_type, payload)
      VALUES (${event.sessionId}, ${event.runId}, clock_timestamp(), ${event.eventType}, ${payload}::jsonb)
      RETURNING id, ts`;
    const row = rows[0];
    if (!row) throw new Error('Event insert returned no row.');
    return { id: row.id, ts: row.ts, sessionId: event.sessionId, runId: event.runId, eventType: event.eventType, payload: event.payload as Prisma.JsonObject };
  }

  /** Events with id > sinceId, oldest first; one more than `limit` to tell whether more exist. */
  listForSession(sessionId: string, sinceId: number, limit: number): Promise<Event[]> {
    return this.db.event.findMany({
      where: { sessionId, id: { gt: BigInt(sinceId) } },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
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
