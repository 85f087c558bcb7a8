/**
 * Writes protocol frames to one WebSocket without waiting for each one to be flushed.
 *
 * graphql-ws's `ws` adapter awaits every `send`'s flush callback before the subscription takes
 * its next item: one write (one syscall) per frame, and a subscription idles while its frame is
 * in flight. Here the frames written in one tick leave together at its end, framed by us into one
 * buffer and one socket write; a writer only waits when the socket has a backlog (a slow or
 * stalled client), which is what lets a live stream's bounded queue fill, so SUBSCRIBER_TOO_SLOW
 * still works as documented. Each frame is still its own WebSocket message, in the order written
 * (the protocol requires one message per frame).
 *
 * Why we frame ourselves: `ws` writes every message as two chunks (header, payload) through the
 * socket's stream, so a read of ten events cost each socket a twenty-chunk writev; in a CPU
 * profile at 1,000 events/s to 100 subscribers that chunk handling was the largest JavaScript
 * cost of a delivery (the syscalls cost more, and stay one per socket per read). A server frame
 * is simple to write (FIN + text opcode, length, unmasked payload: RFC 6455 §5.2), and it is
 * written only while nothing makes `ws`'s own sender transform or hold frames: with
 * permessage-deflate negotiated, frames go through `ws` as before.
 *
 * Order against `ws`'s own sends: frames held for the end of the tick would be overtaken by a
 * message graphql-ws sends meanwhile on the same socket. Only the end of a subscription (its
 * `complete` or `error`) must follow its frames, and DirectSubscription flushes before it ends;
 * pings, pongs and other subscriptions' messages carry no order against these frames.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';

/** Bytes queued in user space above which writers wait for the socket to drain. */
const DEFAULT_HIGH_WATER = 64 * 1024;

const FIN_TEXT = 0x81;

export interface OutboxOptions {
  highWater?: number;
}

export class Outbox {
  private pending: string[] = [];
  /** UTF-16 length of `pending`: its size in bytes, near enough for a high-water mark. */
  private pendingLength = 0;
  private drained: Promise<void> | null = null;
  private wakeWriters: (() => void) | null = null;
  private readonly highWater: number;

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
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** False while the socket has a backlog: wait for `writable()` before writing more. */
  get ready(): boolean {
    return !this.open || this.raw.writableLength + this.pendingLength < this.highWater;
  }

  /** Resolves once the backlog has drained or the socket has closed. */
  writable(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.raw.off('drain', done);
        this.raw.off('close', done);
        this.wakeWriters = null;
        this.drained = null;
        resolve();
      };
      this.raw.on('drain', done);
      this.raw.on('close', done);
      // A backlog of frames not yet flushed may leave the socket without one ('drain' never comes).
      this.wakeWriters = done;
    });
    return this.drained;
  }

  /** Queues one text frame; the frames of this tick leave together. Dropped once the socket closes. */
  write(frame: string): void {
    if (!this.open) return;
    // After the current run of microtasks at the earliest: every subscription fed by the same
    // read has written by then.
    if (this.pending.length === 0) process.nextTick(this.flush);
    this.pending.push(frame);
    this.pendingLength += frame.length;
  }

  /** Writes what is queued now (a subscription calls this before it ends, see the header). */
  readonly flush = (): void => {
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    this.pendingLength = 0;
    if (this.open) {
      if (this.socket.extensions === '') this.raw.write(encodeTextFrames(frames));
      else for (const frame of frames) this.socket.send(frame);
    }
    if (this.wakeWriters && this.ready) this.wakeWriters();
  };
}

/** Unmasked, unfragmented text frames (a server's), back to back in one buffer. */
export function encodeTextFrames(frames: readonly string[]): Buffer {
  const lengths = frames.map((frame) => Buffer.byteLength(frame));
  let total = 0;
  for (const length of lengths) total += headerSize(length) + length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  frames.forEach((frame, index) => {
    const length = lengths[index] as number;
    out[at++] = FIN_TEXT;
    if (length < 126) {
      out[at++] = length;
    } else if (length < 0x10000) {
      out[at++] = 126;
      at = out.writeUInt16BE(length, at);
    } else {
      out[at++] = 127;
      at = out.writeBigUInt64BE(BigInt(length), at);
    }
    at += out.write(frame, at, 'utf8');
  });
  return out;
}

function headerSize(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}
