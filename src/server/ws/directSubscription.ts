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
    try {
      for (;;) {
        // A backlog on the socket stops this subscription taking items, so its bounded queue
        // fills and a client that stopped reading is ended as too slow.
        if (!this.outbox.ready) await this.outbox.writable();
        if (this.stopped) return;
        const next = await this.source.next();
        if (next.done || this.stopped) break;
        const rendered = this.render(next.value);
        const frame = typeof rendered === 'string' ? rendered : await rendered;
        if (this.stopped) return;
        this.outbox.write(frame);
      }
      this.stopped = true;
      this.settle(DONE);
    } catch (error) {
      // As graphql-js's mapAsyncIterator does: close the source, then fail the iteration
      // (graphql-ws answers with an `error` message for the subscription).
      this.stopped = true;
      await closeQuietly(this.source);
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
