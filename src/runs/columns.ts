import { Prisma } from '../generated/prisma/client.js';
import type { Run } from '../generated/prisma/client.js';

/**
 * Every column of `runs` under its Prisma field name, so that a `RETURNING` or a plain `pg` read
 * yields a `Run` exactly as `findUnique` would, without a second round trip or Prisma's query
 * pipeline. test/integration/runs/runColumns.test.ts holds this list to the model.
 */
export const RUN_FIELDS: Record<keyof Run, string> = {
  id: 'id',
  sessionId: 'session_id',
  createdAt: 'created_at',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  status: 'status',
  prompt: 'prompt',
  response: 'response',
  error: 'error',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  toolCalls: 'tool_calls',
  cancelRequested: 'cancel_requested',
  workerMode: 'worker_mode',
  pendingApprovalIds: 'pending_approval_ids',
  idempotencyKey: 'idempotency_key',
  latencySeconds: 'latency_seconds',
  leaseOwner: 'lease_owner',
  leaseExpiresAt: 'lease_expires_at',
  provider: 'provider',
  model: 'model',
  modelPrompt: 'model_prompt',
  systemPrompt: 'system_prompt',
  skillId: 'skill_id',
  skillVersion: 'skill_version',
  skillParams: 'skill_params',
  scheduleId: 'schedule_id',
};

/** `id, session_id AS "sessionId", …`: a select list (or RETURNING list) that reads as a `Run`. */
export const RUN_SELECT = Object.entries(RUN_FIELDS)
  .map(([field, column]) => (field === column ? column : `${column} AS "${field}"`))
  .join(', ');

/** RUN_SELECT for Prisma's tagged templates. */
export const RUN_SELECT_SQL = Prisma.raw(RUN_SELECT);
