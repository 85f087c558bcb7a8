export interface MetricsSnapshot {
  runCount: number;
  completed: number;
  approvalRequired: number;
  cancelled: number;
  failed: number;
  running: number;
  queued: number;
  statusCounts: Array<{ status: string; count: number }>;
  latencyP50: number;
  latencyP95: number;
  latencyP99: number;
  successRate: number;
}
