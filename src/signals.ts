import type { Tx } from './db/client.js';

/**
 * What service processes tell each other. Signals are hints that make waiting and streaming
 * prompt; every decision is still taken from the database, so a lost signal only costs a poll.
 */
export type Signal =
  | { kind: 'queued' }
  | { kind: 'finished'; runId: string; sessionId: string }
  | { kind: 'cancel'; runId: string }
  /** A run changed (created, claimed, flagged); `finished` covers its end. */
  | { kind: 'run-updated'; runId: string; sessionId: string }
  /** An event of the session committed; `id` is its cursor. */
  | { kind: 'event'; sessionId: string; id: number }
  /** Reply text streamed by the model (live only). */
  | { kind: 'reply'; sessionId: string; runId: string; text: string }
  /** An approval was created or decided. */
  | { kind: 'approval'; approvalId: string; sessionId: string }
  /** The listener reconnected: anything may have been missed, look again. */
  | { kind: 'resync' };

export interface Signals {
  /**
   * The PostgreSQL NOTIFY channel signals travel on, for statements that announce their own
   * change (an event append notifies in the same statement that inserts it).
   */
  readonly channel: string;
  /** Sends a signal to every process, this one included; inside `tx` it is sent on commit. */
  publish(signal: Signal, tx?: Tx): Promise<void>;
  subscribe(listener: (signal: Signal) => void): () => void;
}
