import type { MetricsRepository } from './repository.js';
import type { MetricsSnapshot } from './types.js';

export class MetricsService {
  constructor(private readonly repository: MetricsRepository) {}

  /**
   * Folds the run counters every `everyMs` (every process does; folds are safe side by side), so
   * a snapshot sums at most a few seconds of counter rows. Resolves the returned stop function
   * once a fold in progress has ended.
   */
  startCompaction(everyMs: number, onError: (error: unknown) => void): () => Promise<void> {
    let inFlight: Promise<void> | null = null;
    const timer = setInterval(() => {
      inFlight ??= this.repository
        .compact()
        .catch(onError)
        .finally(() => (inFlight = null));
    }, everyMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await inFlight;
    };
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const groups = await this.repository.statusCounts();
    const finishedWith = (status: string): number =>
      groups.filter((group) => group.finished && group.status === status).reduce((sum, group) => sum + group.count, 0);
    const byStatus = new Map<string, number>();
    for (const group of groups) byStatus.set(group.status, (byStatus.get(group.status) ?? 0) + group.count);
    const finished = groups.filter((group) => group.finished).reduce((sum, group) => sum + group.count, 0);
    const completed = finishedWith('completed');
    const approvalRequired = finishedWith('approval_required');
    const cancelled = finishedWith('cancelled');
    const latencyCount = await this.repository.latencyCount();
    const [latencyP50 = 0, latencyP95 = 0, latencyP99 = 0] = await this.repository.latencyPercentiles(latencyCount, [0.5, 0.95, 0.99]);
    return {
      runCount: groups.reduce((sum, group) => sum + group.count, 0),
      completed,
      approvalRequired,
      cancelled,
      failed: finished - completed - approvalRequired - cancelled,
      running: byStatus.get('running') ?? 0,
      queued: byStatus.get('queued') ?? 0,
      statusCounts: [...byStatus.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => ({ status, count })),
      latencyP50,
      latencyP95,
      latencyP99,
      successRate: finished === 0 ? 0 : completed / finished,
    };
  }
}
