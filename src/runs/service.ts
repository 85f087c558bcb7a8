import type { Database, Tx } from '../db/client.js';
import type { EventService } from '../events/service.js';
import type { Event, Run } from '../generated/prisma/client.js';
import { badInput, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { clampPageSize, decodeCursor, toPage, type Page } from '../pagination.js';
import type { SessionService } from '../sessions/service.js';
import type { ApprovalService } from '../approvals/service.js';
import type { RunEngine } from './engine/engine.js';
import type { Signals } from '../signals.js';
import type { RunRepository } from './repository.js';
import { RunStatus } from './status.js';
import type { CancelOutcome, CreatedTurn, TurnOutcome, TurnRequest } from './types.js';

export interface RunServiceOptions {
  processId: string;
  leaseSeconds: number;
}

export class RunService {
  constructor(
    private readonly db: Database,
    private readonly repository: RunRepository,
    private readonly sessions: SessionService,
    private readonly events: EventService,
    private readonly engine: RunEngine,
    private readonly signals: Signals,
    private readonly options: RunServiceOptions,
  ) {}

  /**
   * One conversational turn: a new run (or the one an idempotency key already created), handed
   * to the engine, optionally waited for. The wait is honoured in both worker modes; on time-out
   * the run's real status comes back and the run goes on (decision 5).
   */
  async startTurn(request: TurnRequest): Promise<TurnOutcome> {
    const timeoutSeconds = checkedTimeout(request.waitTimeoutSeconds);
    await this.sessions.get(request.sessionId);
    const created = await this.db.$transaction((tx) => this.createTurnIn(tx, request));
    this.dispatch(created);
    return this.waitIfAsked(created, request.waitForCompletion ?? true, timeoutSeconds);
  }

  /**
   * Creates the run of a turn (or finds the one its idempotency key already created) inside a
   * caller's transaction, so that callers can change other records atomically with it (a
   * schedule's slot). The session must exist. Hand the result to `dispatch` after commit.
   */
  async createTurnIn(tx: Tx, request: Pick<TurnRequest, 'sessionId' | 'message' | 'idempotencyKey' | 'origin'>): Promise<CreatedTurn> {
    const key = request.idempotencyKey ? request.idempotencyKey : null;
    const workerMode = this.engine.mode;
    if (key) {
      const existing = await this.repository.findByKey(tx, request.sessionId, key);
      if (existing) return { run: existing, reused: true, appended: [] };
    }
    const queueDepth = workerMode === 'queue' ? await this.repository.countQueued(tx) : 0;
    const created = await this.repository.insertUnlessKeyTaken(tx, {
      id: newId(),
      sessionId: request.sessionId,
      prompt: request.message,
      workerMode,
      idempotencyKey: key,
      leaseOwner: workerMode === 'local' ? this.options.processId : null,
      leaseSeconds: this.options.leaseSeconds,
      origin: request.origin,
    });
    if (!created) {
      // A concurrent request with the same key won; ON CONFLICT waited for it to commit.
      const winner = key ? await this.repository.findByKey(tx, request.sessionId, key) : null;
      if (!winner) throw new Error('Idempotency conflict without a winning run.');
      return { run: winner, reused: true, appended: [] };
    }
    const base = { sessionId: created.sessionId, runId: created.id };
    const appended: Event[] = [
      await this.events.appendIn(tx, { ...base, eventType: 'run_created', payload: { worker_mode: workerMode, idempotency_key: key ?? '' } }),
    ];
    if (workerMode === 'queue') {
      appended.push(await this.events.appendIn(tx, { ...base, eventType: 'run_queued', payload: { queue_depth: queueDepth } }));
      await this.signals.publish({ kind: 'queued' }, tx);
    }
    await this.signals.publish({ kind: 'run-updated', ...base }, tx);
    return { run: created, reused: false, appended };
  }

  /** After the creating transaction committed: publishes its events and starts (or queues) the run. */
  dispatch(created: CreatedTurn): void {
    this.events.committed(created.appended);
    if (created.reused) return;
    if (this.engine.mode === 'local') this.engine.executeLocally(created.run);
    else this.engine.nudgeWorkers();
  }

  /** Waits for the run when asked to; on time-out the run's current state comes back and it goes on. */
  async waitIfAsked(created: CreatedTurn, wait: boolean, timeoutSeconds: number): Promise<TurnOutcome> {
    const { run, reused } = created;
    if (!wait || run.completedAt) return { run, reused };
    const current = await this.engine.waitFor(run.id, timeoutSeconds * 1000);
    return { run: current ?? run, reused };
  }

  /**
   * After a decision with `resume`: once no approval of the run is pending, a new run in the
   * session tells the model the decisions and lets it continue (the model then usually repeats
   * the approved call, which the gate now lets through). Idempotent per run: repeating the
   * request returns the same continuation. Returns null while approvals are still pending.
   */
  async resumeAfterApprovals(runId: string, approvals: ApprovalService): Promise<Run | null> {
    if ((await approvals.countPendingForRun(runId)) > 0) return null;
    const run = await this.get(runId);
    const decided = await approvals.listForRun(runId);
    if (decided.length === 0) return null;
    const lines = decided.map(
      (approval) =>
        `- ${approval.toolName} (${approval.reason}): ${approval.status}${approval.decisionNote ? ` — note: ${approval.decisionNote}` : ''}`,
    );
    const message =
      'SYSTEM: A reviewer decided the approvals your previous run asked for:\n' +
      lines.join('\n') +
      '\nContinue the task: repeat an approved call exactly as before, and find another way where a call was rejected.';
    const { run: resumed } = await this.startTurn({
      sessionId: run.sessionId,
      message,
      idempotencyKey: `resume:${runId}`,
      waitForCompletion: false,
    });
    await approvals.markResumed(runId, resumed.id);
    return resumed;
  }

  async get(id: string): Promise<Run> {
    const run = await this.repository.findById(id);
    if (!run) throw notFound(`Unknown run_id '${id}'.`);
    return run;
  }

  find(id: string): Promise<Run | null> {
    return this.repository.findById(id);
  }

  async listForSession(sessionId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<Run>> {
    const size = clampPageSize(first, 100);
    return toPage(await this.repository.listForSession(sessionId, size, decodeCursor(after)), size);
  }

  async listForSchedule(scheduleId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<Run>> {
    const size = clampPageSize(first, 100);
    return toPage(await this.repository.listForSchedule(scheduleId, size, decodeCursor(after)), size);
  }

  /** Whether a run is still unfinished (queued, running or waiting in the engine), read inside a transaction. */
  async isUnfinished(tx: Tx, id: string): Promise<boolean> {
    const run = await this.repository.findById(id, tx);
    return run !== null && run.completedAt === null;
  }

  /**
   * Cancels an unfinished run: a queued one ends `cancelled` at once; a running one is aborted
   * wherever it executes (the signal reaches every process) and ends `cancelled` there.
   */
  async cancel(id: string): Promise<CancelOutcome> {
    const before = await this.get(id);
    if (before.completedAt) {
      return { run: before, status: before.status, cancelRequested: false, message: 'Run already finished.' };
    }
    const appended: Event[] = [];
    const flagged = await this.db.$transaction(async (tx) => {
      const run = await this.repository.flagCancel(tx, id);
      if (!run) return null;
      appended.push(await this.events.appendIn(tx, { sessionId: run.sessionId, runId: run.id, eventType: 'run_cancel_requested', payload: {} }));
      await this.signals.publish({ kind: 'cancel', runId: run.id }, tx);
      await this.signals.publish({ kind: 'run-updated', runId: run.id, sessionId: run.sessionId }, tx);
      if (run.status === RunStatus.queued) {
        await this.repository.finish(tx, run.id, queuedCancellation(), true);
        await this.signals.publish({ kind: 'finished', runId: run.id, sessionId: run.sessionId }, tx);
      }
      return run;
    });
    this.events.committed(appended);
    if (!flagged) {
      return { run: (await this.repository.findById(id)) ?? before, status: before.status, cancelRequested: false, message: 'Run is already finalized.' };
    }
    this.engine.abortLocal(id);
    return {
      run: (await this.repository.findById(id)) ?? flagged,
      status: 'cancellation_requested',
      cancelRequested: true,
      message: 'Cancellation has been requested.',
    };
  }
}

/** The wait limit of a turn (decision 5: honoured in every worker mode). */
export function checkedTimeout(value: number | null | undefined): number {
  const timeoutSeconds = value ?? 300;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
    throw badInput('wait_timeout_seconds must be a number >= 0.');
  }
  return timeoutSeconds;
}

function queuedCancellation() {
  return {
    status: 'cancelled' as const,
    response: '',
    error: null,
    inputTokens: 0,
    outputTokens: 0,
    toolCalls: 0,
    pendingApprovalIds: [],
  };
}
