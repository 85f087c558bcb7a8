// The common shape of a benchmark measure: bench/run.ts runs every registered one in turn.

/** What a measure gets from the runner. */
export interface BenchContext {
  /** A fresh, migrated database on the run's throwaway PostgreSQL (one per call). */
  createDatabase(): Promise<BenchDatabase>;
  /** A fresh scratch folder (removed by the runner at the end). */
  scratchDir(name: string): Promise<string>;
  /** Progress lines for the operator (stderr), never part of the results. */
  log(message: string): void;
  /** Repository root (for spawning helpers with the right cwd). */
  root: string;
}

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export interface MeasureResult {
  /** The headline figure, as printed in the table (e.g. "p99 12.3 ms, 0 lost, 1000/s"). */
  figure: string;
  met: boolean;
  /** Raw stats, written to the results JSON. */
  details: Record<string, unknown>;
}

export interface Measure {
  name: string;
  /** The target in words, as the issue states it. */
  target: string;
  /** Upper bound on the whole measure; the runner gives up on it after this (default 5 min). */
  timeoutMs?: number;
  run(ctx: BenchContext): Promise<MeasureResult>;
}
