import type { Database, SqlPool, Tx } from '../db/client.js';
import type { Run } from '../generated/prisma/client.js';
import { afterCursorWhere, type KeysetCursor } from '../pagination.js';
import { RUN_SELECT, RUN_SELECT_SQL } from './columns.js';
import { INTERRUPTED_ERROR, RunStatus } from './status.js';
import type { RunCompletion, RunOrigin } from './types.js';

export interface NewRun {
  id: string;
  sessionId: string;
  prompt: string;
  workerMode: 'local' | 'queue';
  idempotencyKey: string | null;
  /** Local runs belong to the process that created them from the start, so they carry its lease. */
  leaseOwner: string | null;
  leaseSeconds: number;
  origin?: RunOrigin;
}

const RUN_BY_ID = `SELECT ${RUN_SELECT} FROM runs WHERE id = $1`;

export class RunRepository {
  constructor(
    private readonly db: Database,
    private readonly sql: SqlPool,
  ) {}

  /**
   * Inserts the run unless the session already has one with this idempotency key. ON CONFLICT
   * waits for a concurrent inserter of the same key to commit, so duplicates never error
   * (decision 7). Returns null when the key was taken.
   */
  async insertUnlessKeyTaken(tx: Tx, run: NewRun): Promise<Run | null> {
    const status = run.workerMode === 'queue' ? RunStatus.queued : RunStatus.running;
    const leaseExpiresAt = run.leaseOwner ? new Date(Date.now() + run.leaseSeconds * 1000) : null;
    const origin = run.origin;
    const inserted = await tx.$queryRaw<Run[]>`
      INSERT INTO runs (id, session_id, created_at, started_at, status, prompt, worker_mode,
                        idempotency_key, lease_owner, lease_expires_at, pending_approval_ids,
                        skill_id, skill_version, skill_params, schedule_id)
      VALUES (${run.id}, ${run.sessionId}, clock_timestamp(), clock_timestamp(), ${status}, ${run.prompt},
              ${run.workerMode}, ${run.idempotencyKey}, ${run.leaseOwner}, ${leaseExpiresAt}, ARRAY[]::text[],
              ${origin?.skillId ?? null}, ${origin?.skillVersion ?? null},
              ${origin ? JSON.stringify(origin.skillParams) : null}::jsonb, ${origin?.scheduleId ?? null})
      ON CONFLICT (session_id, idempotency_key) DO NOTHING
      RETURNING ${RUN_SELECT_SQL}`;
    return inserted[0] ?? null;
  }

  findByKey(tx: Tx, sessionId: string, idempotencyKey: string): Promise<Run | null> {
    return tx.run.findUnique({ where: { sessionId_idempotencyKey: { sessionId, idempotencyKey } } });
  }

  /** Inside a transaction through it; otherwise straight over `pg` (the hot read of every run poll). */
  async findById(id: string, tx?: Tx): Promise<Run | null> {
    if (tx) return tx.run.findUnique({ where: { id } });
    const result = await this.sql.query<Run>(RUN_BY_ID, [id]);
    return result.rows[0] ?? null;
  }

  /** Runs a schedule triggered, newest first; one row more than `size`. */
  listForSchedule(scheduleId: string, size: number, after: KeysetCursor | null): Promise<Run[]> {
    return this.db.run.findMany({
      where: { scheduleId, ...afterCursorWhere(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
  }

  countQueued(tx: Tx): Promise<number> {
    return tx.run.count({ where: { status: RunStatus.queued } });
  }

  /** Newest first; one row more than `size`. */
  listForSession(sessionId: string, size: number, after: KeysetCursor | null): Promise<Run[]> {
    return this.db.run.findMany({
      where: { sessionId, ...afterCursorWhere(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
  }

  /**
   * Gives the session to this run if nobody holds it and no older unfinished run of the session
   * is waiting (turns of a session execute in the order they were sent). The row lock on the
   * session makes the check-and-set atomic across processes.
   */
  async acquireSession(run: Pick<Run, 'id' | 'sessionId' | 'createdAt'>): Promise<boolean> {
    const taken = await this.db.$executeRaw`
      UPDATE sessions SET active_run_id = ${run.id}
      WHERE id = ${run.sessionId} AND active_run_id IS NULL
        AND NOT EXISTS (
          SELECT 1 FROM runs older
          WHERE older.session_id = ${run.sessionId} AND older.completed_at IS NULL
            AND (older.created_at, older.id) < (${run.createdAt}::timestamptz, ${run.id}))`;
    return taken === 1;
  }

  /**
   * Claims the oldest queued run whose session is free, marks it running under this process's
   * lease and gives it the session. SKIP LOCKED lets several workers and processes claim in
   * parallel without ever taking the same run. Returns `retry` when the chosen run's session was
   * taken by a concurrent claimer, so the caller looks again at once.
   */
  async claimQueued(owner: string, leaseSeconds: number): Promise<Run | null | 'retry'> {
    return this.db.$transaction(async (tx) => {
      const candidates = await tx.$queryRaw<Array<{ id: string; session_id: string }>>`
        SELECT r.id, r.session_id FROM runs r
        JOIN sessions s ON s.id = r.session_id
        WHERE r.status = 'queued' AND s.active_run_id IS NULL
          AND NOT EXISTS (
            SELECT 1 FROM runs older
            WHERE older.session_id = r.session_id AND older.completed_at IS NULL
              AND (older.created_at, older.id) < (r.created_at, r.id))
        ORDER BY r.created_at, r.id
        LIMIT 1
        FOR UPDATE OF r SKIP LOCKED`;
      const candidate = candidates[0];
      if (!candidate) return null;
      const taken = await tx.$executeRaw`
        UPDATE sessions SET active_run_id = ${candidate.id}
        WHERE id = ${candidate.session_id} AND active_run_id IS NULL`;
      if (taken !== 1) return 'retry';
      const leaseExpiresAt = new Date(Date.now() + leaseSeconds * 1000);
      return tx.run.update({
        where: { id: candidate.id },
        data: { status: RunStatus.running, leaseOwner: owner, leaseExpiresAt },
      });
    });
  }

  /**
   * Extends the lease of every unfinished run this process holds and returns the ids it still
   * holds: a run missing from the answer was finished by someone else (its lease lapsed while
   * this process was stalled), and this process must stop executing it.
   */
  async renewLeases(owner: string, runIds: string[], leaseSeconds: number): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const leaseExpiresAt = new Date(Date.now() + leaseSeconds * 1000);
    const rows = await this.db.$queryRaw<Array<{ id: string }>>`
      UPDATE runs SET lease_expires_at = ${leaseExpiresAt}
      WHERE id = ANY(${runIds}::text[]) AND lease_owner = ${owner} AND completed_at IS NULL
      RETURNING id`;
    return new Set(rows.map((row) => row.id));
  }

  /** Gives a claimed run back to the queue (claimed just as this process began to stop). */
  async requeue(runId: string, owner: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ session_id: string }>>`
        UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
        WHERE id = ${runId} AND lease_owner = ${owner} AND completed_at IS NULL
        RETURNING session_id`;
      const row = rows[0];
      if (row) await tx.$executeRaw`UPDATE sessions SET active_run_id = NULL WHERE id = ${row.session_id} AND active_run_id = ${runId}`;
    });
  }

  /**
   * Records how the run ended and frees its session, once: a run that is already finished
   * (cancelled while queued, or swept) is left alone and null is returned.
   */
  async finish(tx: Tx, runId: string, completion: RunCompletion, cancelled: boolean): Promise<Run | null> {
    // One statement: the run's update, the session's release and the finished row.
    const rows = await tx.$queryRaw<Run[]>`
      WITH finished AS (
      UPDATE runs SET
        status = ${completion.status}, completed_at = clock_timestamp(),
        response = ${completion.response}, error = ${completion.error},
        input_tokens = ${completion.inputTokens}, output_tokens = ${completion.outputTokens},
        tool_calls = ${completion.toolCalls}, pending_approval_ids = ${completion.pendingApprovalIds}::text[],
        cancel_requested = cancel_requested OR ${cancelled},
        latency_seconds = GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - started_at)),
        provider = COALESCE(${completion.provider ?? null}, provider),
        model = COALESCE(${completion.model ?? null}, model),
        model_prompt = COALESCE(${completion.modelPrompt ?? null}, model_prompt),
        system_prompt = COALESCE(${completion.systemPrompt ?? null}, system_prompt),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${runId} AND completed_at IS NULL
      RETURNING *),
      -- A data-modifying WITH runs to completion whether or not the outer query reads it.
      released AS (
        UPDATE sessions SET active_run_id = NULL
        WHERE id = (SELECT session_id FROM finished) AND active_run_id = ${runId})
      SELECT ${RUN_SELECT_SQL} FROM finished`;
    return rows[0] ?? null;
  }

  /** Sets the cancel flag of an unfinished run; returns the run as it is after the update, or null. */
  async flagCancel(tx: Tx, runId: string): Promise<Run | null> {
    const rows = await tx.$queryRaw<Run[]>`
      UPDATE runs SET cancel_requested = true WHERE id = ${runId} AND completed_at IS NULL RETURNING ${RUN_SELECT_SQL}`;
    return rows[0] ?? null;
  }

  /**
   * Fails every running run whose lease has expired: its worker died (decision 6). Returns the
   * finished runs so that the caller can record events and wake waiters.
   */
  async failExpired(tx: Tx): Promise<Array<{ id: string; sessionId: string }>> {
    const rows = await tx.$queryRaw<Array<{ id: string; session_id: string }>>`
      UPDATE runs SET
        status = 'failed', completed_at = clock_timestamp(), response = '', error = ${INTERRUPTED_ERROR},
        latency_seconds = GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - started_at)),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE id IN (
        SELECT id FROM runs
        WHERE status = 'running' AND completed_at IS NULL AND lease_expires_at < clock_timestamp()
        ORDER BY lease_expires_at
        LIMIT 500
        FOR UPDATE SKIP LOCKED)
      RETURNING id, session_id`;
    if (rows.length > 0) {
      const ids = rows.map((row) => row.id);
      await tx.$executeRaw`UPDATE sessions SET active_run_id = NULL WHERE active_run_id = ANY(${ids}::text[])`;
    }
    return rows.map((row) => ({ id: row.id, sessionId: row.session_id }));
  }

  /**
   * Frees sessions held by runs that are no longer running (a crash between two statements
   * cannot happen inside one transaction, but a manual database edit can).
   */
  async releaseStaleSessions(tx: Tx): Promise<number> {
    return tx.$executeRaw`
      UPDATE sessions s SET active_run_id = NULL
      WHERE s.active_run_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.active_run_id AND r.completed_at IS NULL)`;
  }
}
