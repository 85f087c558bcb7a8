/**
 * Writes protocol frames to one WebSocket without waiting for each one to be flushed.
 *
 * graphql-ws's `ws` adapter awaits every `send`'s flush callback before the subscription takes
 * its next item: one write (one syscall) per frame, and a subscription idles while its frame is
 * in flight. Here frames written in the same tick are corked into one write per socket, and a
 * writer only waits when the socket has a backlog (a slow or stalled client): that wait is what
 * lets a live stream's bounded queue fill, so SUBSCRIBER_TOO_SLOW still works as documented.
 * Each frame is still its own WebSocket message, in the order written (the protocol requires
 * one message per frame; `ws` keeps the order of sends).
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';

/** Bytes queued in user space above which writers wait for the socket to drain. */
const DEFAULT_HIGH_WATER = 64 * 1024;
const DEFAULT_MIN_WRITE_GAP_MS = 0;

export interface OutboxOptions {
  highWater?: number;
  /**
   * Least time between two writes to the socket (default 0: frames written in the same tick
   * leave together at its end). Each write wakes the receiver and costs far more than the
   * bytes, but the live reader already spaces its reads (LiveOptions.minReadGapMs) and all
   * frames of one read are written in one tick, so a further gap here only added latency.
   */
  minWriteGapMs?: number;
}

export class Outbox {
  private corked = false;
  private drained: Promise<void> | null = null;
  private lastFlushAt = -Infinity;
  private readonly highWater: number;
  private readonly minWriteGapMs: number;

  /**
   * @param socket the WebSocket
   * @param raw the TCP socket under it (the upgrade request's socket, which `ws` writes to)
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Socket,
    options: OutboxOptions = {},
  ) {
    // At or above the stream's own high-water mark a write has returned false, so 'drain' will come.
    this.highWater = Math.max(options.highWater ?? DEFAULT_HIGH_WATER, raw.writableHighWaterMark);
    this.minWriteGapMs = options.minWriteGapMs ?? DEFAULT_MIN_WRITE_GAP_MS;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** False while the socket has a backlog: wait for `writable()` before writing more. */
  get ready(): boolean {
    return !this.open || this.raw.writableLength < this.highWater;
  }

  /** Resolves once the backlog has drained or the socket has closed. */
  writable(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.raw.off('drain', done);
        this.raw.off('close', done);
        this.drained = null;
        resolve();
      };
      this.raw.on('drain', done);
      this.raw.on('close', done);
    });
    return this.drained;
  }

  /** Queues one text frame; frames of this tick leave together. Dropped once the socket closes. */
  write(frame: string): void {
    if (!this.open) return;
    if (!this.corked) {
      this.corked = true;
      this.raw.cork();
      const wait = this.lastFlushAt + this.minWriteGapMs - performance.now();
      // After the current run of microtasks at the earliest: every subscription fed by the same
      // read has written by then.
      if (wait <= 0) process.nextTick(this.flush);
      else setTimeout(this.flush, wait);
    }
    this.socket.send(frame);
  }

  private readonly flush = (): void => {
    this.corked = false;
    this.lastFlushAt = performance.now();
    this.raw.uncork();
  };
}
