import type { Database, Tx } from '../db/client.js';
import type { Event } from '../generated/prisma/client.js';
import { clampPageSize } from '../pagination.js';
import type { Signals } from '../signals.js';
import type { AuditLog } from './auditLog.js';
import type { EventRepository } from './repository.js';
import type { EventPage, NewEvent } from './types.js';

/** Someone who wants to know about events once they are committed (the audit log, live streams). */
export type CommittedEventsListener = (events: readonly Event[]) => void;

export class EventService {
  private readonly listeners: CommittedEventsListener[] = [];

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

  /** Appends on its own (one statement, no interactive transaction) and publishes at once. */
  async append(event: NewEvent): Promise<Event> {
    const row = await this.repository.append(this.db, event, this.signals.channel);
    this.committed([row]);
    return row;
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
