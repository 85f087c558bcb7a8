// The ceiling of a turn: the same database work the service does for one turn with a one-round,
// tool-less model answer, written by hand over one `pg` connection in ONE transaction, with the
// same statements' shapes (the event append is the service's own one-statement lock + insert +
// NOTIFY). Listed from src/ and checked against a SQL trace of a real turn (bench/lib/sqlCapture.ts):
//
//   read the session                                  sessions.get / executor
//   insert the run (status running, lease)            RunRepository.insertUnlessKeyTaken
//   append run_created + NOTIFY run-updated           RunService.createTurnIn
//   take the session (active_run_id)                  RunRepository.acquireSession
//   recall: recent summaries, recent learnings        MemoryService.recall
//   append memory_retrieval                           AntonAgent.run
//   read the conversation (newest 400)                conversationPortFor.load
//   insert the user message                           runToolLoop
//   append stream_complete, llm_response              runToolLoop
//   insert the assistant message                      runToolLoop
//   append assistant_reply, NOTIFY reply              runToolLoop, ReplyBatcher
//   upsert the session summary                        MemoryService.saveSummary
//   complete the run, free the session, NOTIFY        RunRepository.finish, RunExecutor.finish
//
// What the ceiling leaves out on purpose: HTTP, GraphQL, Prisma, the re-reads of the run the
// service does between its steps (findById before executing, after insert, after finish, while
// waiting), and its three transactions plus autocommits (here: one).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const CHANNEL = 'anton_signals';

const APPEND = `
  WITH locked AS (SELECT id FROM sessions WHERE id = $1 FOR NO KEY UPDATE),
  inserted AS (
    INSERT INTO events (session_id, run_id, ts, event_type, payload)
    SELECT locked.id, $2, clock_timestamp(), $3, $4::jsonb FROM locked
    RETURNING id, ts, session_id)
  SELECT inserted.id, inserted.ts,
         pg_notify($5, json_build_object('kind', 'event', 'sessionId', inserted.session_id, 'id', inserted.id)::text)::text AS notified
  FROM inserted`;

export interface RawTurnRunner {
  /** One turn of `sessionId` (which must exist); resolves with the completed run's row. */
  turn(sessionId: string, message: string): Promise<Record<string, unknown>>;
  /** Statements one turn sends (BEGIN and COMMIT included). */
  readonly statementsPerTurn: number;
  close(): Promise<void>;
}

export async function rawTurnRunner(url: string, recallMaxItems: number): Promise<RawTurnRunner> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let statements = 0;
  const q = async (text: string, values: unknown[] = []): Promise<pg.QueryResult> => {
    statements++;
    return client.query(text, values);
  };
  const append = (sessionId: string, runId: string, type: string, payload: unknown): Promise<pg.QueryResult> =>
    q(APPEND, [sessionId, runId, type, JSON.stringify(payload), CHANNEL]);
  let perTurn = 0;
  return {
    get statementsPerTurn() {
      return perTurn;
    },
    turn: async (sessionId, message) => {
      statements = 0;
      const runId = randomBytes(6).toString('hex');
      await q('BEGIN');
      try {
        const session = await q('SELECT id, created_at, workspace_path, metadata, active_run_id FROM sessions WHERE id = $1', [sessionId]);
        if (session.rowCount !== 1) throw new Error(`no session ${sessionId}`);
        await q(
          `INSERT INTO runs (id, session_id, created_at, started_at, status, prompt, worker_mode, idempotency_key, lease_owner,
                             lease_expires_at, pending_approval_ids, skill_id, skill_version, skill_params, schedule_id)
           VALUES ($1, $2, clock_timestamp(), clock_timestamp(), 'running', $3, 'local', NULL, 'bench-raw',
                   clock_timestamp() + interval '60 seconds', ARRAY[]::text[], NULL, NULL, NULL, NULL)
           ON CONFLICT (session_id, idempotency_key) DO NOTHING RETURNING *`,
          [runId, sessionId, message],
        );
        await append(sessionId, runId, 'run_created', { worker_mode: 'local', idempotency_key: '' });
        await q('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind: 'run-updated', sessionId, runId })]);
        await q('UPDATE sessions SET active_run_id = $1 WHERE id = $2 AND active_run_id IS NULL', [runId, sessionId]);
        await q('SELECT * FROM session_summaries ORDER BY created_at DESC, id DESC LIMIT $1', [Math.max(1, recallMaxItems)]);
        await q('SELECT * FROM learnings ORDER BY updated_at DESC, id ASC LIMIT 500');
        await append(sessionId, runId, 'memory_retrieval', { retrieved_count: 0, provenance: [] });
        await q('SELECT role, content FROM conversation_messages WHERE session_id = $1 ORDER BY id DESC LIMIT 400', [sessionId]);
        const insertMessage = 'INSERT INTO conversation_messages (session_id, run_id, role, content) VALUES ($1, $2, $3, $4::jsonb) RETURNING id';
        await q(insertMessage, [sessionId, runId, 'user', JSON.stringify(message)]);
        await append(sessionId, runId, 'stream_complete', { stop_reason: 'end_turn', input_tokens: 10, output_tokens: 5 });
        await append(sessionId, runId, 'llm_response', { mode: 'stream', stop_reason: 'end_turn', input_tokens: 10, output_tokens: 5, tool_calls: 0 });
        await q(insertMessage, [sessionId, runId, 'assistant', JSON.stringify([{ type: 'text', text: 'done' }])]);
        await append(sessionId, runId, 'assistant_reply', { content: 'done', mode: 'stream' });
        await q('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind: 'reply', sessionId, runId, text: 'done' })]);
        await q(
          `INSERT INTO session_summaries (id, session_id, run_id, summary) VALUES ($1, $2, $3, $4)
           ON CONFLICT (run_id) DO UPDATE SET summary = EXCLUDED.summary`,
          [`summary_${runId}`, sessionId, runId, `Task: ${message}\nOutcome: done`],
        );
        const done = await q(
          `UPDATE runs SET status = 'completed', completed_at = clock_timestamp(), response = 'done', error = NULL,
                  input_tokens = 10, output_tokens = 5, tool_calls = 0, pending_approval_ids = ARRAY[]::text[],
                  latency_seconds = GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - started_at)),
                  provider = 'bench-zero', model = 'bench', model_prompt = $2, system_prompt = 'system',
                  lease_owner = NULL, lease_expires_at = NULL
           WHERE id = $1 AND completed_at IS NULL RETURNING *`,
          [runId, message],
        );
        await q('UPDATE sessions SET active_run_id = NULL WHERE id = $1 AND active_run_id = $2', [sessionId, runId]);
        await q('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind: 'finished', runId, sessionId })]);
        await q('COMMIT');
        perTurn = statements;
        return done.rows[0] as Record<string, unknown>;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: () => client.end(),
  };
}
