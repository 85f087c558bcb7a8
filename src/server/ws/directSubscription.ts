/**
 * A subscription whose `next` frames are written straight to the socket's outbox instead of
 * being yielded to graphql-ws one by one.
 *
 * To graphql-ws it is an async generator that never yields and finishes when the stream does:
 * graphql-ws still owns the subscription's lifecycle (its id, the per-connection count, `complete`
 * from the client and socket close both call `return()`, and it sends `complete`, or `error` when
 * `next()` rejects, after the frames written here, since both go through the same `ws` socket).
 * What it saves per item is graphql-ws's per-message round: hooks, a JSON.stringify, and a wait
 * for each frame's flush.
 */
import type { ExecutionResult } from 'graphql';
import { AsyncQueue } from '../../asyncQueue.js';
import type { Outbox } from './outbox.js';

/** Turns one source item into its complete `next` frame. */
export type RenderFrame = (item: unknown) => string | Promise<string>;

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

export class DirectSubscription implements AsyncGenerator<ExecutionResult, undefined, unknown> {
  private started = false;
  private stopped = false;
  private readonly finished: Promise<IteratorResult<ExecutionResult, undefined>>;
  private settle!: (result: IteratorResult<ExecutionResult, undefined>) => void;
  private fail!: (error: unknown) => void;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly render: RenderFrame,
    private readonly outbox: Outbox,
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }

  /** graphql-ws starts consuming: only now are items taken from the source (as graphql-js would). */
  next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (!this.started) {
      this.started = true;
      void this.pump();
    }
    return this.finished;
  }

  async return(): Promise<IteratorResult<ExecutionResult, undefined>> {
    await this.stop();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult, undefined>> {
    await this.stop();
    throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.settle(DONE);
    await closeQuietly(this.source);
  }

  private async pump(): Promise<void> {
    // What a live stream has already queued is taken in the same turn: a subscription wakes once
    // per read of the live reader, not once per event.
    const queued = this.source instanceof AsyncQueue ? this.source : null;
    try {
      for (;;) {
        // A backlog on the socket stops this subscription taking items, so its bounded queue
        // fills and a client that stopped reading is ended as too slow.
        if (!this.outbox.ready) await this.outbox.writable();
        if (this.stopped) return;
        const next = await this.source.next();
        if (next.done || this.stopped) break;
        let item: unknown = next.value;
        do {
          const rendered = this.render(item);
          const frame = typeof rendered === 'string' ? rendered : await rendered;
          if (this.stopped) return;
          this.outbox.write(frame);
        } while (queued && this.outbox.ready && (item = queued.take()) !== undefined);
      }
      this.stopped = true;
      // graphql-ws sends `complete` once this settles: the frames before it must leave first.
      this.outbox.flush();
      this.settle(DONE);
    } catch (error) {
      // As graphql-js's mapAsyncIterator does: close the source, then fail the iteration
      // (graphql-ws answers with an `error` message for the subscription).
      this.stopped = true;
      await closeQuietly(this.source);
      this.outbox.flush();
      this.fail(error);
    }
  }
}

async function closeQuietly(source: AsyncIterator<unknown>): Promise<void> {
  try {
    await source.return?.();
  } catch {
    // the source is ending anyway
  }
}
