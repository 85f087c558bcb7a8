import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Event } from '../generated/prisma/client.js';
import { sortKeysDeep } from '../json.js';

/**
 * Every committed event is also written as one JSON line to
 * `$ANTON_HOME/.anton/service/audit.log.jsonl`, keys sorted, as the reference does.
 * Writes are chained so lines keep the order in which events were handed over.
 */
export class AuditLog {
  private tail: Promise<void> = Promise.resolve();
  // Kept open: reopening the file for every event cost more than the write itself.
  private handle: Promise<FileHandle> | null = null;

  constructor(
    private readonly filePath: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  write(events: readonly Event[]): Promise<void> {
    if (events.length === 0) return this.tail;
    const lines = events.map((event) => JSON.stringify(sortKeysDeep(toAuditRecord(event))) + '\n').join('');
    this.tail = this.tail
      .then(async () => {
        this.handle ??= mkdir(path.dirname(this.filePath), { recursive: true }).then(() => open(this.filePath, 'a'));
        await (await this.handle).appendFile(lines);
      })
      .catch((error: unknown) => {
        this.handle = null;
        this.onError(error);
      });
    return this.tail;
  }

  /** Writes what is pending and closes the file (it reopens on the next write). */
  async close(): Promise<void> {
    await this.tail;
    const handle = this.handle;
    this.handle = null;
    if (handle) await (await handle).close().catch(() => undefined);
  }

  /** Resolves when everything handed over so far is on disk. */
  flush(): Promise<void> {
    return this.tail;
  }
}

function toAuditRecord(event: Event): Record<string, unknown> {
  return {
    event_type: event.eventType,
    id: Number(event.id),
    payload: event.payload,
    run_id: event.runId,
    session_id: event.sessionId,
    ts: event.ts.getTime() / 1000,
  };
}
