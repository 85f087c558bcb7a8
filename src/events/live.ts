import type { Event } from '../generated/prisma/client.js';
import { AsyncQueue } from '../asyncQueue.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

/** Reads events of a session after a cursor, oldest first (the repository). */
export type EventReader = (sessionId: string, afterId: number, limit: number) => Promise<Event[]>;
/** The newest event id of a session, 0 when it has none. */
export type HeadReader = (sessionId: string) => Promise<number>;

export const SUBSCRIBER_TOO_SLOW = ErrorCode.SUBSCRIBER_TOO_SLOW;

export interface LiveOptions {
  /** Events a live subscriber may have waiting before it is closed as too slow. */
  queueLimit: number;
  /** Rows per database read. */
  batchSize: number;
  /**
   * Least time between the starts of two reads of a session's shared reader (default 10 ms).
   * Under a steady stream of commits this gathers several events per read, and so per WebSocket
   * write, instead of one read and one write per subscriber per event. The writes are what
   * costs: each one wakes the receiver (~12–40 µs of CPU per write on a loopback socket of a
   * 2-vCPU VM), so a session read 100 times a second costs its 100 subscribers 10,000 writes/s
   * whatever the event rate. 10 ms bounds that for at most 10 ms added latency; 5 ms measured
   * worse at 500 and 1,000 events/s on 2 vCPUs (bench/README.md). An isolated event is read at once.
   */
  minReadGapMs?: number;
}

const DEFAULT_MIN_READ_GAP_MS = 10;

/** What a live session stream yields. */
export type LiveItem =
  | { kind: 'event'; event: Event }
  | { kind: 'reply'; sessionId: string; runId: string; text: string }
  /** The stream's last item when it ends in failure (a consumer that fell behind). */
  | { kind: 'failure'; error: AppError };

export type ReplyDeltaItem = Extract<LiveItem, { kind: 'reply' }>;
type EventItem = Extract<LiveItem, { kind: 'event' }>;

const eventItem = (event: Event): EventItem => ({ kind: 'event', event });

/** One stream's position in a session's events, feeding its queue. */
class Subscriber {
  constructor(
    public cursor: number,
    readonly queue: AsyncQueue<LiveItem>,
    private readonly limit: number,
  ) {}

  get closed(): boolean {
    return this.queue.closed;
  }

  /**
   * Queues an event unless it was already delivered. The live reader hands every subscriber the
   * same item object, which lets the WebSocket layer execute and serialise it once for all.
   */
  push(item: EventItem): void {
    const id = Number(item.event.id);
    if (this.closed || id <= this.cursor) return;
    this.cursor = id;
    this.queue.push(item);
  }

  room(): number {
    return Math.max(0, this.limit - this.queue.size);
  }
}

/**
 * The subscribers of one session. A shared reader follows the session's head and fans events
 * out to subscribers that are in step with it; a subscriber that is replaying or has fallen
 * behind reads the table itself until it reaches the head, then joins. Because event ids of a
 * session are allocated in commit order (docs/events.md), "id > cursor" reads can neither skip
 * nor repeat an event, at the seam or anywhere else.
 */
class SessionChannel {
  readonly inStep = new Set<Subscriber>();
  readonly replyQueues = new Set<AsyncQueue<LiveItem>>();
  readonly catchingUp = new Set<Subscriber>();
  head = 0;
  private headKnown: Promise<void>;
  private reading = false;
  private dirty = false;
  private lastReadAt = -Infinity;

  constructor(
    readonly sessionId: string,
    private readonly read: EventReader,
    readHead: HeadReader,
    private readonly options: LiveOptions,
    private readonly log: Logger,
  ) {
    this.headKnown = readHead(sessionId).then((head) => {
      this.head = Math.max(this.head, head);
    });
  }

  get size(): number {
    return this.inStep.size + this.catchingUp.size;
  }

  add(subscriber: Subscriber): void {
    this.catchingUp.add(subscriber);
    void this.catchUp(subscriber);
  }

  remove(subscriber: Subscriber): void {
    this.inStep.delete(subscriber);
    this.catchingUp.delete(subscriber);
  }

  /** Something was appended to the session (here or in another process): read on. */
  wake(): void {
    this.dirty = true;
    void this.readOn();
  }

  private async readOn(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      await this.headKnown;
      while (this.dirty) {
        // Nobody to fan out to: leave `dirty` set, so a subscriber that joins next reads on.
        if (this.inStep.size === 0) break;
        const wait = this.lastReadAt + (this.options.minReadGapMs ?? DEFAULT_MIN_READ_GAP_MS) - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.dirty = false;
        this.lastReadAt = performance.now();
        const rows = await this.read(this.sessionId, this.head, this.options.batchSize);
        for (const row of rows) {
          const item = eventItem(row);
          for (const subscriber of this.inStep) subscriber.push(item);
          this.head = Number(row.id);
        }
        if (rows.length === this.options.batchSize) this.dirty = true;
      }
    } catch (error) {
      this.log.warn('live event read failed', { sessionId: this.sessionId, error });
      for (const subscriber of [...this.inStep]) this.demote(subscriber);
    } finally {
      this.reading = false;
    }
  }

  private demote(subscriber: Subscriber): void {
    this.inStep.delete(subscriber);
    this.catchingUp.add(subscriber);
    setTimeout(() => void this.catchUp(subscriber), 500).unref();
  }

  private async catchUp(subscriber: Subscriber): Promise<void> {
    try {
      await this.headKnown;
      for (;;) {
        if (subscriber.closed) return;
        const room = subscriber.room();
        if (room === 0) {
          // Replay is paced by the consumer: wait until it has taken some events.
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        const size = Math.min(room, this.options.batchSize);
        const rows = await this.read(this.sessionId, subscriber.cursor, size);
        for (const row of rows) subscriber.push(eventItem(row));
        if (rows.length === size) continue;
        // Caught up with the table. Joining is safe once the cursor is at or past the shared
        // head: the reader then only delivers ids above it (and push drops any repeat).
        if (subscriber.cursor >= this.head) {
          this.catchingUp.delete(subscriber);
          if (subscriber.closed) return;
          // With nobody in step, the head is only this subscriber's business.
          if (this.inStep.size === 0) this.head = subscriber.cursor;
          this.inStep.add(subscriber);
          // An event may have committed while the last catch-up read was in flight: read on.
          this.wake();
          return;
        }
      }
    } catch (error) {
      this.log.warn('live event replay failed', { sessionId: this.sessionId, error });
      if (!subscriber.closed) setTimeout(() => void this.catchUp(subscriber), 500).unref();
    }
  }
}

/** Every live subscription of this process, by session. */
export class LiveEvents {
  private readonly channels = new Map<string, SessionChannel>();

  constructor(
    private readonly read: EventReader,
    private readonly readHead: HeadReader,
    private readonly options: LiveOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Events with id > sinceId, stored ones first, then live ones as they commit; with
   * `replyDeltas`, also the reply text of the session's runs as it streams (live only).
   */
  stream(sessionId: string, sinceId: number, replyDeltas: boolean): AsyncQueue<LiveItem> {
    const limit = this.options.queueLimit;
    const queue = new AsyncQueue<LiveItem>(limit, () => ({
      kind: 'failure',
      error: new AppError(SUBSCRIBER_TOO_SLOW, `The subscriber fell more than ${limit} items behind; resubscribe from the last event id it received.`),
    }));
    let channel = this.channels.get(sessionId);
    if (!channel) {
      channel = new SessionChannel(sessionId, this.read, this.readHead, this.options, this.log);
      this.channels.set(sessionId, channel);
    }
    const owner = channel;
    const subscriber = new Subscriber(sinceId, queue, limit);
    if (replyDeltas) owner.replyQueues.add(queue);
    queue.onEnd(() => {
      owner.remove(subscriber);
      owner.replyQueues.delete(queue);
      if (owner.size === 0 && owner.replyQueues.size === 0 && this.channels.get(sessionId) === owner) this.channels.delete(sessionId);
    });
    owner.add(subscriber);
    return queue;
  }

  /** Reply text streamed by a run of the session (from this process or another). */
  reply(sessionId: string, runId: string, text: string): void {
    const channel = this.channels.get(sessionId);
    if (!channel) return;
    // One item for every queue (see Subscriber.push).
    const item: ReplyDeltaItem = { kind: 'reply', sessionId, runId, text };
    for (const queue of channel.replyQueues) queue.push(item);
  }

  /**
   * An event of `sessionId` was committed (by this process or, via NOTIFY, another). Each
   * commit is announced twice here (locally and by NOTIFY): an id the reader already passed is
   * not worth another read.
   */
  notify(sessionId: string, id?: number): void {
    const channel = this.channels.get(sessionId);
    if (!channel || (id !== undefined && id <= channel.head)) return;
    channel.wake();
  }

  /** After a lost connection: every channel reads on, in case an event signal was missed. */
  notifyAll(): void {
    for (const channel of this.channels.values()) channel.wake();
  }

  get subscriberCount(): number {
    let count = 0;
    for (const channel of this.channels.values()) count += channel.size;
    return count;
  }
}
