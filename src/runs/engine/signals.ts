import type { Tx } from '../../db/client.js';

/**
 * What service processes tell each other about runs. Signals are hints that make waiting fast;
 * every decision is still taken from the database, so a lost signal only costs a poll interval.
 */
export type RunSignal =
  | { kind: 'queued' }
  | { kind: 'finished'; runId: string; sessionId: string }
  | { kind: 'cancel'; runId: string }
  /** The listener reconnected: anything may have been missed, look again. */
  | { kind: 'resync' };

export interface RunSignals {
  /** Sends a signal to every process, this one included; inside `tx` it is sent on commit. */
  publish(signal: RunSignal, tx?: Tx): Promise<void>;
  subscribe(listener: (signal: RunSignal) => void): () => void;
}
