import type { Event, Run } from '../generated/prisma/client.js';

export interface TurnOutcome {
  run: Run;
  reused: boolean;
}

export interface CancelOutcome {
  run: Run;
  /** `cancellation_requested`, or the run's status when it had already finished. */
  status: string;
  cancelRequested: boolean;
  message: string;
}

export interface RunTraceModel {
  run: Run;
  eventsSinceId: number;
  eventsLimit: number;
}

export interface TurnRequest {
  sessionId: string;
  message: string;
  idempotencyKey?: string | null;
  waitForCompletion?: boolean | null;
  waitTimeoutSeconds?: number | null;
  origin?: RunOrigin;
}

/** What produced a run's prompt, when it was not typed by a client (the trace shows it). */
export interface RunOrigin {
  skillId: string;
  skillVersion: number;
  skillParams: Record<string, string>;
  scheduleId?: string | null;
}

/** A run created inside a caller's transaction, to be handed to `RunService.dispatch` after commit. */
export interface CreatedTurn {
  run: Run;
  reused: boolean;
  appended: Event[];
}

/** How a run ended, as the engine records it. */
export interface RunCompletion {
  status: 'completed' | 'approval_required' | 'cancelled' | 'failed';
  response: string;
  error: string | null;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  pendingApprovalIds: string[];
  provider?: string | null;
  model?: string | null;
  modelPrompt?: string | null;
  systemPrompt?: string | null;
}
