export const RunStatus = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  approvalRequired: 'approval_required',
  cancelled: 'cancelled',
  failed: 'failed',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const INTERRUPTED_ERROR = 'Run interrupted: the worker stopped before the run finished.';
