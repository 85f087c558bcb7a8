/** Summary statistics of a sample (ms unless said otherwise). */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    min: sorted.length ? (sorted[0] as number) : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
  };
}

/** Rounds every number of a summary to `digits` decimals (for readable JSON). */
export function rounded<T extends object>(summary: T, digits = 3): T {
  const factor = 10 ** digits;
  return Object.fromEntries(
    Object.entries(summary).map(([key, value]) => [key, typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * factor) / factor : value]),
  ) as T;
}

export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

/** Wall-clock milliseconds with sub-ms precision, comparable across processes on one machine. */
export function clock(): number {
  return performance.timeOrigin + performance.now();
}
