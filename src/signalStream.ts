import { AsyncQueue } from './asyncQueue.js';
import type { Signal, Signals } from './signals.js';

export interface SignalStreamOptions<T> {
  /** The record key a signal is about, or null when the stream does not care. */
  select: (signal: Signal) => string | null;
  /** The record as it is now (null: gone or not visible). */
  load: (key: string) => Promise<T | null>;
  /** Keys to load and yield at once, before any change. */
  initial?: string[];
  limit: number;
  onOverflow: () => T;
}

const REMEMBERED_RECORDS = 200;

/**
 * A stream of records that change: each signal about a record makes the stream load it from the
 * database and yield it, so what is yielded is always the stored truth, never the signal.
 */
export function signalStream<T>(signals: Signals, options: SignalStreamOptions<T>): AsyncQueue<T> {
  const queue = new AsyncQueue<T>(options.limit, options.onOverflow);
  // Loads are chained so records come out in the order their signals arrived.
  let chain: Promise<void> = Promise.resolve();
  // Several signals about one change (or a signal read after a later change) load the same state:
  // a subscriber is told about each state once.
  const lastSent = new Map<string, string>();
  const enqueue = (key: string): void => {
    chain = chain.then(async () => {
      if (queue.closed) return;
      try {
        const record = await options.load(key);
        if (!record) return;
        const state = JSON.stringify(record, (_name, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
        if (lastSent.get(key) === state) return;
        lastSent.delete(key);
        lastSent.set(key, state);
        // Remember only recent records: a long-lived stream must not grow without bound.
        if (lastSent.size > REMEMBERED_RECORDS) lastSent.delete(lastSent.keys().next().value as string);
        queue.push(record);
      } catch {
        // The next signal (or the client's next query) shows the record; a stream does not die of one failed read.
      }
    });
  };
  for (const key of options.initial ?? []) enqueue(key);
  const unsubscribe = signals.subscribe((signal) => {
    const key = options.select(signal);
    if (key !== null) enqueue(key);
  });
  queue.onEnd(unsubscribe);
  return queue;
}
