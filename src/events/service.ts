import type { Database, Tx } from '../db/client.js';
import type { Event } from '../generated/prisma/client.js';
import { clampPageSize } from '../pagination.js';
import type { Signals } from '../signals.js';
import type { AuditLog } from './auditLog.js';
import type { EventRepository } from './repository.js';
import type { EventPage, NewEvent } from './types.js';

/** Someone who wants to know about events once they are committed (the audit log, live streams). */
export type CommittedEventsListener = (events: readonly Event[]) => void;

interface PendingAppend {
  event: NewEvent;
  resolve: (event: Event) => void;
  reject: (error: unknown) => void;
}

/** The most events one append statement carries. */
const MAX_BATCH = 200;

export class EventService {
  private readonly listeners: CommittedEventsListener[] = [];
  /** Appends waiting for their session's statement in flight, per session; absent when idle. */
  private readonly waiting = new Map<string, PendingAppend[]>();

  constructor(
    private readonly db: Database,
    private readonly repository: EventRepository,
    private readonly auditLog: AuditLog,
    private readonly signals: Signals,
  ) {}

  onCommitted(listener: CommittedEventsListener): void {
    this.listeners.push(listener);
  }

  /**
   * Appends inside a caller's transaction; the caller must hand the rows to `committed` after
   * commit. Other processes hear of the event through a signal sent on commit.
   */
  appendIn(tx: Tx, event: NewEvent): Promise<Event> {
    return this.repository.append(tx, event, this.signals.channel);
  }

  /**
   * Appends on its own (no interactive transaction) and publishes once committed.
   *
   * Appends to one session serialise on its row lock anyway, so while one statement for a session
   * is in flight the appends that arrive meanwhile wait and then go together in the next one
   * (group commit): under a burst a session costs one round trip per batch, not per event, and
   * events keep the order in which `append` was called.
   */
  append(event: NewEvent): Promise<Event> {
    return new Promise<Event>((resolve, reject) => {
      const pending = { event, resolve, reject };
      const queue = this.waiting.get(event.sessionId);
      if (queue) {
        queue.push(pending);
        return;
      }
      this.waiting.set(event.sessionId, [pending]);
      void this.drain(event.sessionId);
    });
  }

  private async drain(sessionId: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(sessionId);
      if (!queue || queue.length === 0) {
        this.waiting.delete(sessionId);
        return;
      }
      const batch = queue.splice(0, MAX_BATCH);
      try {
        const rows = await this.repository.appendBatch(
          sessionId,
          batch.map((pending) => pending.event),
          this.signals.channel,
        );
        this.committed(rows);
        batch.forEach((pending, index) => pending.resolve(rows[index] as Event));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
  }

  committed(events: readonly Event[]): void {
    if (events.length === 0) return;
    void this.auditLog.write(events);
    for (const listener of this.listeners) listener(events);
  }

  async listForSession(sessionId: string, sinceId: number, limit: number | null | undefined): Promise<EventPage> {
    const size = clampPageSize(limit, 500);
    return toEventPage(await this.repository.listForSession(sessionId, sinceId, size), size, sinceId);
  }

  /** The newest event id of a session (0 when it has none): where a live stream starts. */
  head(sessionId: string): Promise<number> {
    return this.repository.head(sessionId);
  }

  async listForRun(runId: string, sinceId: number, limit: number | null | undefined): Promise<EventPage> {
    const size = clampPageSize(limit, 2000);
    return toEventPage(await this.repository.listForRun(runId, sinceId, size), size, sinceId);
  }
}

function toEventPage(rows: Event[], size: number, sinceId: number): EventPage {
  const events = rows.slice(0, size);
  const last = events.at(-1);
  return { events, nextSinceId: last ? Number(last.id) : sinceId, hasMore: rows.length > size };
}
