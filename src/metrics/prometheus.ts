import type { MetricsSnapshot } from './types.js';

/** The metrics in the Prometheus text exposition format (version 0.0.4). */
export function toPrometheusText(metrics: MetricsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge', help: string, samples: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('anton_runs', 'gauge', 'Runs stored, by status.', metrics.statusCounts.map(({ status, count }) => [`{status="${status}"}`, count]));
  metric('anton_runs_total', 'gauge', 'Runs stored, every status.', [['', metrics.runCount]]);
  metric('anton_run_success_rate', 'gauge', 'Completed runs over finished runs.', [['', metrics.successRate]]);
  metric('anton_run_latency_seconds', 'gauge', 'Latency percentiles of finished runs (lower nearest rank).', [
    ['{quantile="0.5"}', metrics.latencyP50],
    ['{quantile="0.95"}', metrics.latencyP95],
    ['{quantile="0.99"}', metrics.latencyP99],
  ]);
  return lines.join('\n') + '\n';
}
