// DIAGNOSTIC ONLY (BENCH_LIVE_APPEND=sql): appends an event the way another service process's
// append would look if it were one statement: lock the session row, insert (the id is drawn
// after the lock, as docs/events.md requires) and NOTIFY, in a single autocommit round trip
// over plain `pg`. The live path of the service under test then hears of the event through
// LISTEN/NOTIFY only, exactly as for an event of another process. It isolates fan-out cost
// from the cost of EventService.append's Prisma interactive transaction.
import pg from 'pg';

const ONE_STATEMENT_APPEND = `
WITH locked AS (SELECT id FROM sessions WHERE id = $1 FOR NO KEY UPDATE),
inserted AS (
  INSERT INTO events (session_id, run_id, ts, event_type, payload)
  SELECT locked.id, $2, clock_timestamp(), $3, $4::jsonb FROM locked
  RETURNING id, session_id)
SELECT inserted.id FROM inserted,
  LATERAL (SELECT pg_notify('anton_signals', json_build_object('kind', 'event', 'sessionId', inserted.session_id, 'id', inserted.id)::text)) notified`;

export interface SqlAppender {
  append(sessionId: string, runId: string, eventType: string, payload: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

export function sqlAppender(url: string, poolSize = 10): SqlAppender {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  return {
    append: async (sessionId, runId, eventType, payload) => {
      const result = await pool.query<{ id: string }>(ONE_STATEMENT_APPEND, [sessionId, runId, eventType, JSON.stringify(payload)]);
      const row = result.rows[0];
      if (!row) throw new Error(`no session '${sessionId}'`);
      return Number(row.id);
    },
    close: () => pool.end(),
  };
}
