import { setMaxListeners } from 'node:events';
import type { Database } from '../../db/client.js';
import type { EventService } from '../../events/service.js';
import type { Event, Run } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import type { RunRepository } from '../repository.js';
import { INTERRUPTED_ERROR } from '../status.js';
import type { AbortReason, RunExecutor } from './executor.js';
import type { Signal, Signals } from '../../signals.js';
import { Wakeups } from './wakeups.js';

export interface EngineOptions {
  workerMode: 'local' | 'queue';
  queueWorkerCount: number;
  leaseSeconds: number;
  /** How often idle workers and waiters look at the database without being signalled. */
  pollMs?: number;
  /** A name for this process, unique among the processes sharing the database. */
  processId: string;
}

export interface EngineDeps {
  db: Database;
  runs: RunRepository;
  events: EventService;
  executor: RunExecutor;
  signals: Signals;
  log: Logger;
}

interface InFlight {
  controller: AbortController;
  done: Promise<unknown>;
}

const QUEUE = 'queue';

/**
 * Runs the runs. In local mode the process that accepted a turn executes it; in queue mode any
 * process's workers claim queued runs from PostgreSQL. Either way a run executes only while it
 * holds its session (one at a time per session, across processes) and under a lease that this
 * process renews; a run whose lease lapses is failed by whichever process notices first.
 */
export class RunEngine {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly wakeups = new Wakeups<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly workers: Promise<void>[] = [];
  private readonly stopping = new AbortController();
  private unsubscribe: (() => void) | null = null;
  private readonly pollMs: number;

  constructor(
    private readonly deps: EngineDeps,
    private readonly options: EngineOptions,
  ) {
    this.pollMs = options.pollMs ?? 1000;
    // Every waiting turn listens to this signal; dozens at once are normal, not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  get mode(): 'local' | 'queue' {
    return this.options.workerMode;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.signals.subscribe((signal) => this.onSignal(signal));
    await this.sweep();
    const leaseMs = this.options.leaseSeconds * 1000;
    this.timers.push(setInterval(() => void this.renewLeases(), Math.max(200, leaseMs / 3)));
    this.timers.push(setInterval(() => void this.sweep(), Math.max(500, leaseMs / 2)));
    for (const timer of this.timers) timer.unref();
    if (this.options.workerMode === 'queue') {
      for (let index = 0; index < Math.max(1, this.options.queueWorkerCount); index += 1) {
        this.workers.push(this.workerLoop(index));
      }
    }
  }

  /** Stops taking work, interrupts what is in flight (those runs end `failed`) and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.unsubscribe?.();
    for (const timer of this.timers) clearInterval(timer);
    this.wakeups.wakeAll();
    for (const flight of this.inFlight.values()) flight.controller.abort('shutdown' satisfies AbortReason);
    await Promise.allSettled([...this.workers, ...[...this.inFlight.values()].map((flight) => flight.done)]);
  }

  /** Local mode: executes a freshly created run in this process, once its session is free. */
  executeLocally(run: Run): void {
    const controller = new AbortController();
    const done = this.runLocal(run, controller).catch((error: unknown) => {
      this.deps.log.error('local run crashed', { runId: run.id, error });
    });
    this.track(run.id, controller, done);
  }

  /** Wakes idle workers of this process (the signal reaches the others through PostgreSQL). */
  nudgeWorkers(): void {
    this.wakeups.wake(QUEUE);
  }

  /**
   * Resolves with the run once it has finished, or with its current state when `timeoutMs`
   * passes first (the run goes on). Signals make it prompt; the poll makes it certain.
   */
  async waitFor(runId: string, timeoutMs: number): Promise<Run | null> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      const run = await this.deps.runs.findById(runId);
      if (!run || run.completedAt) return run;
      const left = deadline - Date.now();
      if (left <= 0) return run;
      await this.wakeups.sleep(`run:${runId}`, Math.min(left, this.pollMs), this.stopping.signal);
      if (this.stopping.signal.aborted) return this.deps.runs.findById(runId);
    }
  }

  /** Interrupts the run if this process is executing it (or waiting to). */
  abortLocal(runId: string): void {
    this.inFlight.get(runId)?.controller.abort('cancel' satisfies AbortReason);
  }

  private onSignal(signal: Signal): void {
    switch (signal.kind) {
      case 'queued':
        this.wakeups.wake(QUEUE);
        break;
      case 'finished':
        // Finished elsewhere (swept after a stall) while this process still runs it: stop.
        this.inFlight.get(signal.runId)?.controller.abort('lease-lost' satisfies AbortReason);
        this.wakeups.wake(`run:${signal.runId}`);
        this.wakeups.wake(`session:${signal.sessionId}`);
        this.wakeups.wake(QUEUE);
        break;
      case 'cancel':
        this.abortLocal(signal.runId);
        break;
      case 'resync':
        this.wakeups.wakeAll();
        break;
    }
  }

  private track(runId: string, controller: AbortController, done: Promise<unknown>): void {
    this.inFlight.set(runId, { controller, done });
    void done.finally(() => {
      this.inFlight.delete(runId);
      // Waiters in this process need not wait for the signal's round trip through PostgreSQL.
      this.wakeups.wake(`run:${runId}`);
    });
    if (this.stopping.signal.aborted) controller.abort('shutdown' satisfies AbortReason);
  }

  private async runLocal(run: Run, controller: AbortController): Promise<void> {
    const { runs, executor } = this.deps;
    // Wait for the session: turns of one session execute one at a time, in the order sent.
    while (!(await runs.acquireSession(run))) {
      if (controller.signal.aborted) {
        const current = (await runs.findById(run.id)) ?? run;
        await executor.finish(current, abortedWhileWaiting(controller));
        return;
      }
      await this.wakeups.sleep(`session:${run.sessionId}`, this.pollMs, controller.signal);
    }
    await executor.execute(run, controller);
  }

  private async workerLoop(index: number): Promise<void> {
    const { runs, executor, log } = this.deps;
    while (!this.stopping.signal.aborted) {
      let claimed: Run | null | 'retry';
      try {
        claimed = await runs.claimQueued(this.options.processId, this.options.leaseSeconds);
      } catch (error) {
        log.warn('queue worker could not claim a run', { worker: index, error });
        await this.wakeups.sleep(QUEUE, this.pollMs, this.stopping.signal);
        continue;
      }
      if (claimed === 'retry') continue;
      if (claimed === null) {
        await this.wakeups.sleep(QUEUE, this.pollMs, this.stopping.signal);
        continue;
      }
      const run = claimed;
      if (this.stopping.signal.aborted) {
        // Claimed just as the process began to stop: the run was never started, so it goes
        // back to the queue for another process (or the next start) instead of failing.
        await runs.requeue(run.id, this.options.processId).catch((error: unknown) => log.warn('could not requeue a run', { runId: run.id, error }));
        break;
      }
      void this.deps.signals.publish({ kind: 'run-updated', runId: run.id, sessionId: run.sessionId }).catch(() => undefined);
      const controller = new AbortController();
      const done = executor
        .execute(run, controller, [{ eventType: 'worker_finished', worker_index: index }])
        .catch((error: unknown) => log.error('queued run crashed', { runId: run.id, error }));
      this.track(run.id, controller, done);
      await done;
    }
  }

  private async renewLeases(): Promise<void> {
    const held = [...this.inFlight.keys()];
    try {
      const stillHeld = await this.deps.runs.renewLeases(this.options.processId, held, this.options.leaseSeconds);
      for (const runId of held) {
        if (stillHeld.has(runId)) continue;
        // Another process failed the run while this one was stalled, and the session may
        // already belong to the next run: stop at once so two runs never execute together.
        this.deps.log.warn('lost the lease of a run; stopping it', { runId });
        this.inFlight.get(runId)?.controller.abort('lease-lost' satisfies AbortReason);
      }
    } catch (error) {
      this.deps.log.warn('lease renewal failed', { error });
    }
  }

  /** Fails runs whose worker died (decision 6) and frees their sessions. */
  async sweep(): Promise<void> {
    const { db, runs, events, signals, log } = this.deps;
    try {
      const appended: Event[] = [];
      await db.$transaction(async (tx) => {
        const expired = await runs.failExpired(tx);
        for (const run of expired) {
          appended.push(
            await events.appendIn(tx, { sessionId: run.sessionId, runId: run.id, eventType: 'run_interrupted', payload: { error: INTERRUPTED_ERROR } }),
          );
          await signals.publish({ kind: 'finished', runId: run.id, sessionId: run.sessionId }, tx);
        }
        await runs.releaseStaleSessions(tx);
      });
      events.committed(appended);
      if (appended.length > 0) log.warn('failed runs whose worker stopped', { runIds: appended.map((event) => event.runId) });
    } catch (error) {
      log.warn('lease sweep failed', { error });
    }
  }
}

function abortedWhileWaiting(controller: AbortController) {
  const shutdown = controller.signal.reason !== ('cancel' satisfies AbortReason);
  return {
    status: shutdown ? ('failed' as const) : ('cancelled' as const),
    response: '',
    error: shutdown ? INTERRUPTED_ERROR : null,
    inputTokens: 0,
    outputTokens: 0,
    toolCalls: 0,
    pendingApprovalIds: [],
  };
}
