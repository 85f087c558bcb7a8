// Shapes of the REST contract, mapped from GraphQL results: snake_case names, epoch-second
// timestamps, lower-case statuses. Every response the REST layer sends is built here.

type Json = Record<string, unknown>;

export const epoch = (iso: unknown): number | null => (typeof iso === 'string' ? Date.parse(iso) / 1000 : null);
const lower = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

/** GraphQL selections that feed the mappers below; each mapper reads exactly these fields. */
export const RUN_FIELDS = `id sessionId createdAt startedAt completedAt status prompt response error inputTokens outputTokens
  totalTokens toolCalls cancelRequested workerMode pendingApprovalIds`;
export const EVENT_FIELDS = 'id sessionId runId ts eventType payload';
export const APPROVAL_FIELDS = 'id sessionId runId toolName toolInput reason status createdAt decidedAt decisionNote';
export const ARTIFACT_FIELDS = 'id runId kind path createdAt sizeBytes sha256';
export const SESSION_FIELDS = 'id createdAt workspacePath metadata';
export const TURN_FIELDS = `runId status reply error pendingApprovalIds totalTokens toolCalls reused run { ${RUN_FIELDS} }`;

export function runRecord(run: Json): Json {
  return {
    id: run.id,
    session_id: run.sessionId,
    created_at: epoch(run.createdAt),
    started_at: epoch(run.startedAt),
    completed_at: epoch(run.completedAt),
    status: lower(run.status),
    prompt: run.prompt,
    response: run.response,
    error: run.error,
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    total_tokens: run.totalTokens,
    tool_calls: run.toolCalls,
    cancel_requested: run.cancelRequested,
    worker_mode: lower(run.workerMode),
    pending_approval_ids: run.pendingApprovalIds,
  };
}

/** A run in `GET /sessions/{id}/runs` (decision 4 adds session_id, total_tokens and tool_calls). */
export function runListItem(run: Json): Json {
  return {
    id: run.id,
    session_id: run.sessionId,
    created_at: epoch(run.createdAt),
    completed_at: epoch(run.completedAt),
    status: lower(run.status),
    prompt: run.prompt,
    error: run.error,
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    total_tokens: run.totalTokens,
    tool_calls: run.toolCalls,
    cancel_requested: run.cancelRequested,
    worker_mode: lower(run.workerMode),
  };
}

export function turnResult(turn: Json): Json {
  return {
    run_id: turn.runId,
    status: lower(turn.status),
    reply: turn.reply,
    error: turn.error,
    pending_approval_ids: turn.pendingApprovalIds,
    total_tokens: turn.totalTokens,
    tool_calls: turn.toolCalls,
    run: runRecord(turn.run as Json),
    reused: turn.reused,
  };
}

export function sessionEvent(event: Json): Json {
  return { id: event.id, run_id: event.runId, ts: epoch(event.ts), event_type: event.eventType, payload: event.payload };
}

/** Trace events carry session_id instead of run_id, as the reference's do. */
export function traceEvent(event: Json): Json {
  return { id: event.id, session_id: event.sessionId, ts: epoch(event.ts), event_type: event.eventType, payload: event.payload };
}

export function approval(item: Json): Json {
  return {
    id: item.id,
    session_id: item.sessionId,
    run_id: item.runId,
    tool_name: item.toolName,
    tool_input: item.toolInput,
    reason: item.reason,
    status: lower(item.status),
    created_at: epoch(item.createdAt),
    decided_at: epoch(item.decidedAt),
    decision_note: item.decisionNote,
  };
}

export function artifact(item: Json): Json {
  return {
    id: item.id,
    kind: item.kind,
    path: item.path,
    created_at: epoch(item.createdAt),
    size_bytes: item.sizeBytes,
    sha256: item.sha256,
  };
}

export function session(item: Json): Json {
  return { session_id: item.id, workspace_path: item.workspacePath, metadata: item.metadata, created_at: epoch(item.createdAt) };
}

const SKILL_VERSION_FIELDS = 'version promptTemplate requiredParams createdAt';
export const SKILL_FIELDS = `id name description latestVersion createdAt updatedAt metadata latest { ${SKILL_VERSION_FIELDS} }`;
export const SKILL_VERSION_SELECTION = `{ ${SKILL_VERSION_FIELDS} }`;
export const SCHEDULE_FIELDS = `id name sessionId skillId skillVersion params intervalSeconds cron timezone overlapPolicy nextRunAt
  nextRunTimes status lastRunId lastRunAt createdAt updatedAt`;

/** A skill in `GET /skills`: the reference's first seven fields. */
export function skillListItem(skill: Json): Json {
  return {
    id: skill.id,
    name: skill.name,
    description: skill.description,
    latest_version: skill.latestVersion,
    created_at: epoch(skill.createdAt),
    updated_at: epoch(skill.updatedAt),
    metadata: skill.metadata,
  };
}

/** A skill with its latest version's template, as most skill endpoints answer. */
export function skill(item: Json): Json {
  const latest = item.latest as Json;
  return {
    ...skillListItem(item),
    latest_prompt_template: latest.promptTemplate,
    latest_required_params: latest.requiredParams,
    latest_version_created_at: epoch(latest.createdAt),
  };
}

export function skillVersion(version: Json): Json {
  return {
    version: version.version,
    prompt_template: version.promptTemplate,
    required_params: version.requiredParams,
    created_at: epoch(version.createdAt),
  };
}

/** The reference's Schedule, plus cron, timezone, overlap_policy and next_run_times. */
export function schedule(item: Json): Json {
  return {
    id: item.id,
    name: item.name,
    session_id: item.sessionId,
    skill_id: item.skillId,
    skill_version: item.skillVersion,
    params: item.params,
    interval_seconds: item.intervalSeconds,
    next_run_at: epoch(item.nextRunAt),
    status: item.status,
    last_run_id: item.lastRunId,
    last_run_at: epoch(item.lastRunAt),
    created_at: epoch(item.createdAt),
    updated_at: epoch(item.updatedAt),
    cron: item.cron,
    timezone: item.timezone,
    overlap_policy: lower(item.overlapPolicy),
    next_run_times: (item.nextRunTimes as unknown[]).map(epoch),
  };
}
