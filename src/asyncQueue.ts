/**
 * A bounded queue read as an async iterator: producers push, one consumer pulls. Overrunning
 * the bound ends the stream with the error `onOverflow` makes, which the consumer receives after
 * nothing else: a slow consumer learns it fell behind instead of the process buffering forever.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private endItem: T | null = null;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => T,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  get size(): number {
    return this.items.length;
  }

  /** Runs when the stream ends, however it ends (consumer gone, overflow, close). */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.limit) {
      this.items.length = 0;
      this.end(this.onOverflow());
      return;
    }
    this.items.push(item);
  }

  /** Ends the stream after what is queued, optionally with a last item. */
  end(lastItem: T | null = null): void {
    if (this.ended) return;
    this.ended = true;
    this.endItem = lastItem;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.waiting && this.items.length === 0) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting(this.takeEnd());
    }
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.ended) return Promise.resolve(this.takeEnd());
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /**
   * An item that is already queued, taken synchronously; undefined when none is (the stream's
   * end, and its last item, still come from `next`). For a consumer that drains in batches.
   */
  take(): T | undefined {
    return this.items.shift();
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    this.endItem = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private takeEnd(): IteratorResult<T> {
    const last = this.endItem;
    this.endItem = null;
    return last === null ? { value: undefined, done: true } : { value: last, done: false };
  }
}
