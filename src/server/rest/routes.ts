// The REST contract, in one table. Each route names the GraphQL operation it executes against
// the service's schema, how the request maps to its variables and how the result maps back to
// the reference's JSON. The router (router.ts) and the OpenAPI document (openapi.ts) are both
// generated from this table, so the contract reads here and nowhere else.

import { toPrometheusText } from '../../metrics/prometheus.js';
import type { MetricsSnapshot } from '../../metrics/types.js';
import { MAX_PAGE_SIZE } from '../../pagination.js';
import * as map from './mapping.js';
import type { Shape } from './validation.js';

type Json = Record<string, unknown>;

export interface RouteInput {
  params: Record<string, string>;
  query: Json;
  body: Json;
}

export interface RouteSpec {
  method: 'GET' | 'POST';
  /** OpenAPI-style path with `{param}` segments. */
  path: string;
  summary: string;
  /** A GraphQL document with exactly one named operation. */
  operation: string;
  query?: Shape;
  body?: { shape: Shape; required: boolean };
  variables: (input: RouteInput) => Json;
  respond: (data: Json, input: RouteInput) => unknown;
  /** JSON Schema of the 200 response, for the OpenAPI document. */
  response: Json;
  /** Status codes other than 200 and 422 that the route can answer, for the OpenAPI document. */
  errors: number[];
  /** A plain-text rendering, served when the client prefers text/plain. */
  text?: { contentType: string; render: (data: Json) => string };
  /** A Server-Sent Events stream, served when the client asks for text/event-stream. */
  stream?: StreamSpec;
  /** The answer is a file the operation located (and vetted) rather than JSON. */
  file?: (data: Json) => { path: string; contentType: string };
}

export interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

export interface StreamSpec {
  /** A GraphQL subscription with exactly one named operation. */
  operation: string;
  query?: Shape;
  /** `lastEventId` is the Last-Event-ID header of a reconnecting client, when there is one. */
  variables: (input: RouteInput, lastEventId: string | null) => Json;
  format: (data: Json) => SseMessage;
}

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullable = (schema: Json): Json => ({ anyOf: [schema, { type: 'null' }] });
const obj = (properties: Json): Json => ({ type: 'object', properties, required: Object.keys(properties) });
const list = (items: Json): Json => ({ type: 'array', items });

const runRecordSchema = obj({
  id: str, session_id: str, created_at: num, started_at: num, completed_at: nullable(num), status: str, prompt: str,
  response: nullable(str), error: nullable(str), input_tokens: int, output_tokens: int, total_tokens: int, tool_calls: int,
  cancel_requested: bool, worker_mode: str, pending_approval_ids: list(str),
});
const turnSchema = obj({
  run_id: str, status: str, reply: str, error: nullable(str), pending_approval_ids: list(str), total_tokens: int,
  tool_calls: int, run: runRecordSchema, reused: bool,
});
const approvalSchema = obj({
  id: str, session_id: str, run_id: str, tool_name: str, tool_input: { type: 'object' }, reason: str, status: str,
  created_at: num, decided_at: nullable(num), decision_note: nullable(str),
});
const artifactSchema = obj({ id: str, kind: str, path: str, created_at: num, size_bytes: int, sha256: str });
const skillListSchema = obj({
  id: str, name: str, description: str, latest_version: int, created_at: num, updated_at: num, metadata: { type: 'object' },
});
const skillSchema = obj({
  id: str, name: str, description: str, latest_version: int, created_at: num, updated_at: num, metadata: { type: 'object' },
  latest_prompt_template: str, latest_required_params: list(str), latest_version_created_at: num,
});
const skillVersionSchema = obj({ version: int, prompt_template: str, required_params: list(str), created_at: num });
const scheduleSchema = obj({
  id: str, name: str, session_id: str, skill_id: str, skill_version: nullable(int), params: { type: 'object' },
  interval_seconds: nullable(int), next_run_at: num, status: str, last_run_id: nullable(str), last_run_at: nullable(num),
  created_at: num, updated_at: num, cron: nullable(str), timezone: str, overlap_policy: str, next_run_times: list(num),
});
const runListItemSchema = obj({
  id: str, session_id: str, created_at: num, completed_at: nullable(num), status: str, prompt: str, error: nullable(str),
  input_tokens: int, output_tokens: int, total_tokens: int, tool_calls: int, cancel_requested: bool, worker_mode: str,
});
const sessionSchema = obj({ session_id: str, workspace_path: str, metadata: { type: 'object' }, created_at: num });

/** GraphQL Int is 32-bit; page sizes beyond the largest page mean the same as the largest page. */
const pageSize = (value: unknown): number => Math.min(MAX_PAGE_SIZE, Math.max(-1, Number(value)));

const turnBody: Shape = {
  message: { type: 'str', required: true },
  idempotency_key: { type: 'str', nullable: true, default: null },
  wait_for_completion: { type: 'bool', default: true },
  wait_timeout_seconds: { type: 'float', default: 300 },
};

export const routes: RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    summary: 'Liveness check (never needs a token).',
    operation: 'query Health { health { status } }',
    variables: () => ({}),
    respond: (data) => data.health,
    response: obj({ status: str }),
    errors: [],
  },
  {
    method: 'POST',
    path: '/sessions',
    summary: 'Create a session with its workspace folder.',
    operation: `mutation CreateSession($input: CreateSessionInput!) { createSession(input: $input) { ${map.SESSION_FIELDS} } }`,
    body: {
      required: true,
      shape: {
        session_id: { type: 'str', nullable: true, default: null },
        workspace_path: { type: 'str', nullable: true, default: null },
        metadata: { type: 'object', nullable: true, default: null },
      },
    },
    variables: ({ body }) => ({ input: { sessionId: body.session_id, workspacePath: body.workspace_path, metadata: body.metadata } }),
    respond: (data) => {
      const created = map.session(data.createSession as Json);
      return { session_id: created.session_id, workspace_path: created.workspace_path, metadata: created.metadata };
    },
    response: obj({ session_id: str, workspace_path: str, metadata: { type: 'object' } }),
    errors: [400, 409],
  },
  {
    method: 'GET',
    path: '/sessions',
    summary: 'List sessions, newest first (new).',
    operation: `query Sessions($first: Int, $after: String) { sessions(first: $first, after: $after) { nodes { ${map.SESSION_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
    query: { limit: { type: 'int', default: 50 }, after: { type: 'str', nullable: true, default: null } },
    variables: ({ query }) => ({ first: pageSize(query.limit), after: query.after }),
    respond: (data) => {
      const connection = data.sessions as { nodes: Json[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      return { sessions: connection.nodes.map(map.session), next_cursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null };
    },
    response: obj({ sessions: list(sessionSchema), next_cursor: nullable(str) }),
    errors: [400],
  },
  {
    method: 'GET',
    path: '/sessions/{session_id}',
    summary: 'Fetch one session (new).',
    operation: `query Session($id: ID!) { session(id: $id) { ${map.SESSION_FIELDS} } }`,
    variables: ({ params }) => ({ id: params.session_id }),
    respond: (data) => map.session(data.session as Json),
    response: sessionSchema,
    errors: [404],
  },
  {
    method: 'POST',
    path: '/sessions/{session_id}/turn',
    summary: 'Send one message to the session’s agent as a new run.',
    operation: `mutation SendTurn($input: SendTurnInput!) { sendTurn(input: $input) { ${map.TURN_FIELDS} } }`,
    body: { required: true, shape: turnBody },
    variables: ({ params, body }) => ({
      input: {
        sessionId: params.session_id,
        message: body.message,
        idempotencyKey: body.idempotency_key,
        waitForCompletion: body.wait_for_completion,
        waitTimeoutSeconds: body.wait_timeout_seconds,
      },
    }),
    respond: (data) => map.turnResult(data.sendTurn as Json),
    response: turnSchema,
    errors: [400, 404],
  },
  {
    method: 'GET',
    path: '/sessions/{session_id}/runs',
    summary: 'Recent runs of a session, newest first.',
    operation: `query SessionRuns($id: ID!, $first: Int) { session(id: $id) { id runs(first: $first) { nodes { ${map.RUN_FIELDS} } } } }`,
    query: { limit: { type: 'int', default: 100 } },
    variables: ({ params, query }) => ({ id: params.session_id, first: pageSize(query.limit) }),
    respond: (data) => {
      const found = data.session as { id: string; runs: { nodes: Json[] } };
      return { session_id: found.id, runs: found.runs.nodes.map(map.runListItem) };
    },
    response: obj({ session_id: str, runs: list({ type: 'object' }) }),
    errors: [404],
  },
  {
    method: 'GET',
    path: '/sessions/{session_id}/events',
    summary: 'Events of a session with id > since_id, oldest first.',
    operation: `query SessionEvents($id: ID!, $sinceId: SafeInt, $limit: Int) { session(id: $id) { id events(sinceId: $sinceId, limit: $limit) { events { ${map.EVENT_FIELDS} } nextSinceId } } }`,
    query: { since_id: { type: 'int', default: 0 }, limit: { type: 'int', default: 500 } },
    variables: ({ params, query }) => ({ id: params.session_id, sinceId: query.since_id, limit: pageSize(query.limit) }),
    respond: (data) => {
      const found = data.session as { id: string; events: { events: Json[]; nextSinceId: number } };
      return { session_id: found.id, events: found.events.events.map(map.sessionEvent), next_since_id: found.events.nextSinceId };
    },
    response: obj({ session_id: str, events: list(obj({ id: int, run_id: str, ts: num, event_type: str, payload: { type: 'object' } })), next_since_id: int }),
    errors: [404],
    stream: {
      operation: `subscription SessionEventStream($id: ID!, $sinceId: SafeInt, $replies: Boolean) {
        sessionEvents(sessionId: $id, sinceId: $sinceId, includeReplyDeltas: $replies) {
          __typename ... on Event { ${map.EVENT_FIELDS} } ... on ReplyDelta { sessionId runId text } } }`,
      query: { since_id: { type: 'int', default: 0 }, reply_deltas: { type: 'bool', default: false } },
      variables: ({ params, query }, lastEventId) => ({
        id: params.session_id,
        // A reconnecting EventSource sends the last id it saw: that is the newer cursor.
        sinceId: lastEventId !== null && /^\d+$/.test(lastEventId) ? Number(lastEventId) : query.since_id,
        replies: query.reply_deltas,
      }),
      format: (data) => {
        const item = data.sessionEvents as Json;
        if (item.__typename === 'ReplyDelta') return { event: 'reply_delta', data: { run_id: item.runId, text: item.text } };
        const event = map.sessionEvent(item);
        return { id: String(event.id), event: String(event.event_type), data: event };
      },
    },
  },
  {
    method: 'GET',
    path: '/runs/{run_id}',
    summary: 'A run and its current status.',
    operation: `query Run($id: ID!) { run(id: $id) { ${map.RUN_FIELDS} } }`,
    variables: ({ params }) => ({ id: params.run_id }),
    respond: (data) => map.runRecord(data.run as Json),
    response: runRecordSchema,
    errors: [404],
  },
  {
    method: 'POST',
    path: '/runs/{run_id}/cancel',
    summary: 'Ask an unfinished run to stop.',
    operation: 'mutation CancelRun($id: ID!) { cancelRun(id: $id) { runId status cancelRequested message } }',
    variables: ({ params }) => ({ id: params.run_id }),
    respond: (data) => {
      const result = data.cancelRun as Json;
      return { run_id: result.runId, status: result.status, cancel_requested: result.cancelRequested, message: result.message };
    },
    response: obj({ run_id: str, status: str, cancel_requested: bool, message: str }),
    errors: [404],
  },
  {
    method: 'GET',
    path: '/runs/{run_id}/artifacts',
    summary: 'Files the run created or modified under the workspace’s .anton/output.',
    operation: `query RunArtifacts($id: ID!) { run(id: $id) { id artifacts { ${map.ARTIFACT_FIELDS} } } }`,
    variables: ({ params }) => ({ id: params.run_id }),
    respond: (data) => {
      const found = data.run as { id: string; artifacts: Json[] };
      return { run_id: found.id, artifacts: found.artifacts.map(map.artifact) };
    },
    response: obj({ run_id: str, artifacts: list(artifactSchema) }),
    errors: [404],
  },
  {
    method: 'GET',
    path: '/runs/{run_id}/artifacts/{artifact_id}/content',
    summary: 'The file of an artifact (only files inside the session’s workspace are served).',
    operation: 'query ArtifactFile($runId: ID!, $artifactId: ID!) { artifactFile(runId: $runId, artifactId: $artifactId) { artifactId path sizeBytes contentType } }',
    variables: ({ params }) => ({ runId: params.run_id, artifactId: params.artifact_id }),
    respond: (data) => data.artifactFile,
    file: (data) => {
      const file = data.artifactFile as { path: string; contentType: string };
      return { path: file.path, contentType: file.contentType };
    },
    response: { type: 'string', contentMediaType: 'application/octet-stream' },
    errors: [404],
  },
  {
    method: 'GET',
    path: '/runs/{run_id}/trace',
    summary: 'The reproducibility bundle of a run; events come a page at a time (events_since_id, events_limit).',
    operation: `query RunTrace($id: ID!, $sinceId: SafeInt, $limit: Int) { runTrace(runId: $id, eventsSinceId: $sinceId, eventsLimit: $limit) {
      run { ${map.RUN_FIELDS} skillId skillVersion skillParams scheduleId } events { events { ${map.EVENT_FIELDS} } nextSinceId hasMore }
      artifacts { ${map.ARTIFACT_FIELDS} } approvals { ${map.APPROVAL_FIELDS} }
      usage { inputTokens outputTokens totalTokens toolCalls } provider model modelPrompt systemPrompt } }`,
    query: { events_since_id: { type: 'int', default: 0 }, events_limit: { type: 'int', default: 2000 } },
    variables: ({ params, query }) => ({ id: params.run_id, sinceId: query.events_since_id, limit: pageSize(query.events_limit) }),
    respond: (data) => {
      const trace = data.runTrace as Json & { events: { events: Json[]; nextSinceId: number; hasMore: boolean } };
      const usage = trace.usage as Json;
      const run = trace.run as Json;
      return {
        run: map.runRecord(run),
        events: trace.events.events.map(map.traceEvent),
        events_next_since_id: trace.events.nextSinceId,
        events_has_more: trace.events.hasMore,
        artifacts: (trace.artifacts as Json[]).map(map.artifact),
        approvals: (trace.approvals as Json[]).map(map.approval),
        usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, total_tokens: usage.totalTokens, tool_calls: usage.toolCalls },
        provider: trace.provider,
        model: trace.model,
        model_prompt: trace.modelPrompt,
        system_prompt: trace.systemPrompt,
        skill: run.skillId === null ? null : { skill_id: run.skillId, skill_version: run.skillVersion, params: run.skillParams },
        schedule_id: run.scheduleId,
      };
    },
    response: obj({
      run: runRecordSchema, events: list({ type: 'object' }), events_next_since_id: int, events_has_more: bool,
      artifacts: list(artifactSchema), approvals: list(approvalSchema), usage: { type: 'object' },
      provider: nullable(str), model: nullable(str), model_prompt: nullable(str), system_prompt: nullable(str),
      skill: nullable(obj({ skill_id: str, skill_version: int, params: { type: 'object' } })), schedule_id: nullable(str),
    }),
    errors: [404],
  },
  {
    method: 'GET',
    path: '/approvals',
    summary: 'Approvals with an exact status (default pending), optionally of one session, newest first.',
    operation: `query Approvals($status: String, $sessionId: ID, $first: Int) { approvals(status: $status, sessionId: $sessionId, first: $first) { nodes { ${map.APPROVAL_FIELDS} } } }`,
    query: {
      status: { type: 'str', default: 'pending' },
      session_id: { type: 'str', nullable: true, default: null },
      limit: { type: 'int', default: 200 },
    },
    variables: ({ query }) => ({ status: query.status, sessionId: query.session_id || null, first: pageSize(query.limit) }),
    respond: (data) => ({ approvals: (data.approvals as { nodes: Json[] }).nodes.map(map.approval) }),
    response: obj({ approvals: list(approvalSchema) }),
    errors: [],
  },
  {
    method: 'POST',
    path: '/approvals/{approval_id}/decision',
    summary: 'Approve or reject a pending approval (repeating a decision is a no-op; contradicting it is 409).',
    operation: `mutation DecideApproval($input: DecideApprovalInput!) { decideApproval(input: $input) { ${map.APPROVAL_FIELDS} resumedRunId } }`,
    body: {
      required: true,
      shape: {
        approved: { type: 'bool', required: true },
        note: { type: 'str', nullable: true, default: null },
        resume: { type: 'bool', default: false },
      },
    },
    variables: ({ params, body }) => ({ input: { approvalId: params.approval_id, approved: body.approved, note: body.note, resume: body.resume } }),
    respond: (data, input) => {
      const decided = data.decideApproval as Json;
      // The reference's shape, plus the continuation run when the client asked to resume.
      return input.body.resume ? { ...map.approval(decided), resumed_run_id: decided.resumedRunId ?? null } : map.approval(decided);
    },
    response: approvalSchema,
    errors: [404, 409],
  },
  {
    method: 'POST',
    path: '/skills',
    summary: 'Create a reusable prompt skill (version 1) from a Python str.format template.',
    operation: `mutation CreateSkill($input: CreateSkillInput!) { createSkill(input: $input) { ${map.SKILL_FIELDS} } }`,
    body: {
      required: true,
      shape: {
        name: { type: 'str', required: true },
        description: { type: 'str', default: '' },
        prompt_template: { type: 'str', required: true },
        metadata: { type: 'object', nullable: true, default: null },
      },
    },
    variables: ({ body }) => ({
      input: { name: body.name, description: body.description, promptTemplate: body.prompt_template, metadata: body.metadata },
    }),
    respond: (data) => map.skill(data.createSkill as Json),
    response: skillSchema,
    errors: [400, 409],
  },
  {
    method: 'GET',
    path: '/skills',
    summary: 'Skills, most recently updated first.',
    operation: `query Skills($first: Int, $after: String) { skills(first: $first, after: $after) { nodes { ${map.SKILL_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
    query: { limit: { type: 'int', default: 200 }, after: { type: 'str', nullable: true, default: null } },
    variables: ({ query }) => ({ first: pageSize(query.limit), after: query.after }),
    respond: (data) => {
      const connection = data.skills as { nodes: Json[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      return { skills: connection.nodes.map(map.skillListItem), next_cursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null };
    },
    response: obj({ skills: list(skillListSchema), next_cursor: nullable(str) }),
    errors: [400],
  },
  {
    method: 'GET',
    path: '/skills/{skill_id}',
    summary: 'One skill with its latest template; with ?version=N also that version’s template (new).',
    operation: `query Skill($id: ID!, $version: SafeInt!, $withVersion: Boolean!) { skill(id: $id) { ${map.SKILL_FIELDS}
      version(version: $version) @include(if: $withVersion) ${map.SKILL_VERSION_SELECTION} } }`,
    query: { version: { type: 'int', nullable: true, default: null } },
    variables: ({ params, query }) => ({ id: params.skill_id, version: query.version ?? 1, withVersion: query.version !== null }),
    respond: (data) => {
      const found = data.skill as Json;
      const full = map.skill(found);
      if (!found.version) return full;
      const version = map.skillVersion(found.version as Json);
      return {
        ...full,
        version: version.version,
        prompt_template: version.prompt_template,
        required_params: version.required_params,
        version_created_at: version.created_at,
      };
    },
    // The version's fields are there only with ?version=N.
    response: {
      ...skillSchema,
      properties: { ...(skillSchema.properties as Json), version: int, prompt_template: str, required_params: list(str), version_created_at: num },
    },
    errors: [400, 404],
  },
  {
    method: 'GET',
    path: '/skills/{skill_id}/versions',
    summary: 'Every version of a skill, newest first (new).',
    operation: `query SkillVersions($id: ID!) { skill(id: $id) { id versions ${map.SKILL_VERSION_SELECTION} } }`,
    variables: ({ params }) => ({ id: params.skill_id }),
    respond: (data) => {
      const found = data.skill as { id: string; versions: Json[] };
      return { skill_id: found.id, versions: found.versions.map(map.skillVersion) };
    },
    response: obj({ skill_id: str, versions: list(skillVersionSchema) }),
    errors: [404],
  },
  {
    method: 'POST',
    path: '/skills/{skill_id}/versions',
    summary: 'Add a version to a skill; it becomes the latest.',
    operation: `mutation AddSkillVersion($id: ID!, $template: String!) { addSkillVersion(skillId: $id, promptTemplate: $template) { ${map.SKILL_FIELDS} } }`,
    body: { required: true, shape: { prompt_template: { type: 'str', required: true } } },
    variables: ({ params, body }) => ({ id: params.skill_id, template: body.prompt_template }),
    respond: (data) => map.skill(data.addSkillVersion as Json),
    response: skillSchema,
    errors: [400, 404],
  },
  {
    method: 'POST',
    path: '/skills/{skill_id}/run',
    summary: 'Render a skill with params and send the result to a session as a turn.',
    operation: `mutation RunSkill($input: RunSkillInput!) { runSkill(input: $input) { skillId skillVersion renderedPrompt turn { ${map.TURN_FIELDS} } } }`,
    body: {
      required: true,
      shape: {
        session_id: { type: 'str', required: true },
        params: { type: 'dict_str_str', nullable: true, default: null },
        version: { type: 'int', nullable: true, default: null },
        idempotency_key: { type: 'str', nullable: true, default: null },
        wait_for_completion: { type: 'bool', default: true },
        wait_timeout_seconds: { type: 'float', default: 300 },
      },
    },
    variables: ({ params, body }) => ({
      input: {
        skillId: params.skill_id,
        sessionId: body.session_id,
        version: body.version,
        params: body.params,
        idempotencyKey: body.idempotency_key,
        waitForCompletion: body.wait_for_completion,
        waitTimeoutSeconds: body.wait_timeout_seconds,
      },
    }),
    respond: (data) => {
      const result = data.runSkill as Json;
      return { skill_id: result.skillId, skill_version: result.skillVersion, rendered_prompt: result.renderedPrompt, ...map.turnResult(result.turn as Json) };
    },
    response: { ...turnSchema, properties: { skill_id: str, skill_version: int, rendered_prompt: str, ...(turnSchema.properties as Json) } },
    errors: [400, 404],
  },
  {
    method: 'POST',
    path: '/scheduled-runs',
    summary: 'Create a schedule that runs a skill every interval_seconds, or on a cron cadence in a timezone (new).',
    operation: `mutation CreateSchedule($input: CreateScheduleInput!) { createSchedule(input: $input) { ${map.SCHEDULE_FIELDS} } }`,
    body: {
      required: true,
      shape: {
        name: { type: 'str', nullable: true, default: null },
        session_id: { type: 'str', required: true },
        skill_id: { type: 'str', required: true },
        skill_version: { type: 'int', nullable: true, default: null },
        params: { type: 'dict_str_str', nullable: true, default: null },
        // Null here means "not given": 3600 for an interval schedule, and refused beside a cron.
        interval_seconds: { type: 'int', nullable: true, default: null },
        start_in_seconds: { type: 'int', default: 0 },
        active: { type: 'bool', default: true },
        cron: { type: 'str', nullable: true, default: null },
        timezone: { type: 'str', nullable: true, default: null },
        overlap_policy: { type: 'str', default: 'allow' },
      },
    },
    variables: ({ body }) => ({
      input: {
        name: body.name,
        sessionId: body.session_id,
        skillId: body.skill_id,
        skillVersion: body.skill_version,
        params: body.params,
        intervalSeconds: body.interval_seconds,
        startInSeconds: body.start_in_seconds,
        active: body.active,
        cron: body.cron,
        timezone: body.timezone,
        overlapPolicy: body.overlap_policy,
      },
    }),
    respond: (data) => map.schedule(data.createSchedule as Json),
    response: scheduleSchema,
    errors: [400, 404],
  },
  {
    method: 'GET',
    path: '/scheduled-runs',
    summary: 'Schedules with an exact status (any when omitted), newest first.',
    operation: `query Schedules($status: String, $first: Int, $after: String) { schedules(status: $status, first: $first, after: $after) {
      nodes { ${map.SCHEDULE_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
    query: {
      status: { type: 'str', nullable: true, default: null },
      limit: { type: 'int', default: 200 },
      after: { type: 'str', nullable: true, default: null },
    },
    variables: ({ query }) => ({ status: query.status || null, first: pageSize(query.limit), after: query.after }),
    respond: (data) => {
      const connection = data.schedules as { nodes: Json[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      return { scheduled_runs: connection.nodes.map(map.schedule), next_cursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null };
    },
    response: obj({ scheduled_runs: list(scheduleSchema), next_cursor: nullable(str) }),
    errors: [400],
  },
  {
    method: 'GET',
    path: '/scheduled-runs/{schedule_id}',
    summary: 'One schedule.',
    operation: `query Schedule($id: ID!) { schedule(id: $id) { ${map.SCHEDULE_FIELDS} } }`,
    variables: ({ params }) => ({ id: params.schedule_id }),
    respond: (data) => map.schedule(data.schedule as Json),
    response: scheduleSchema,
    errors: [404],
  },
  {
    method: 'GET',
    path: '/scheduled-runs/{schedule_id}/runs',
    summary: 'Runs the schedule triggered, newest first (new).',
    operation: `query ScheduleRuns($id: ID!, $first: Int) { schedule(id: $id) { id runs(first: $first) { nodes { ${map.RUN_FIELDS} } } } }`,
    query: { limit: { type: 'int', default: 100 } },
    variables: ({ params, query }) => ({ id: params.schedule_id, first: pageSize(query.limit) }),
    respond: (data) => {
      const found = data.schedule as { id: string; runs: { nodes: Json[] } };
      return { schedule_id: found.id, runs: found.runs.nodes.map(map.runListItem) };
    },
    response: obj({ schedule_id: str, runs: list(runListItemSchema) }),
    errors: [404],
  },
  {
    method: 'POST',
    path: '/scheduled-runs/{schedule_id}/trigger',
    summary: 'Run the schedule’s skill now (paused schedules too); the body may be empty.',
    operation: `mutation TriggerSchedule($input: TriggerScheduleInput!) { triggerSchedule(input: $input) {
      schedule { ${map.SCHEDULE_FIELDS} } skillId skillVersion renderedPrompt turn { ${map.TURN_FIELDS} } } }`,
    // Decision 10: an empty body is fine (the reference answered 422).
    body: {
      required: false,
      shape: {
        idempotency_key: { type: 'str', nullable: true, default: null },
        wait_for_completion: { type: 'bool', default: false },
        wait_timeout_seconds: { type: 'float', default: 300 },
      },
    },
    variables: ({ params, body }) => ({
      input: {
        scheduleId: params.schedule_id,
        idempotencyKey: body.idempotency_key,
        waitForCompletion: body.wait_for_completion,
        waitTimeoutSeconds: body.wait_timeout_seconds,
      },
    }),
    respond: (data) => {
      const result = data.triggerSchedule as Json;
      const schedule = map.schedule(result.schedule as Json);
      return {
        schedule_id: schedule.id,
        skill_id: result.skillId,
        skill_version: result.skillVersion,
        rendered_prompt: result.renderedPrompt,
        schedule,
        ...map.turnResult(result.turn as Json),
      };
    },
    response: {
      ...turnSchema,
      properties: { schedule_id: str, skill_id: str, skill_version: int, rendered_prompt: str, schedule: scheduleSchema, ...(turnSchema.properties as Json) },
    },
    errors: [400, 404],
  },
  ...(['pause', 'resume'] as const).map(
    (action): RouteSpec => ({
      method: 'POST',
      path: `/scheduled-runs/{schedule_id}/${action}`,
      summary: action === 'pause' ? 'Stop automatic fires (next_run_at is kept).' : 'Restart automatic fires; an overdue schedule fires at once.',
      operation: `mutation ${action === 'pause' ? 'PauseSchedule' : 'ResumeSchedule'}($id: ID!) { ${action}Schedule(id: $id) { ${map.SCHEDULE_FIELDS} } }`,
      variables: ({ params }) => ({ id: params.schedule_id }),
      respond: (data) => map.schedule(data[`${action}Schedule`] as Json),
      response: scheduleSchema,
      errors: [404],
    }),
  ),
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Run counts, success rate and latency percentiles (Prometheus text with Accept: text/plain).',
    operation: `query Metrics { metrics { runCount completed approvalRequired cancelled failed running queued statusCounts { status count }
      latencyP50 latencyP95 latencyP99 successRate } }`,
    variables: () => ({}),
    respond: (data) => {
      const metrics = data.metrics as Json & { statusCounts: Array<{ status: string; count: number }> };
      return {
        run_count: metrics.runCount,
        completed: metrics.completed,
        failed: metrics.failed,
        approval_required: metrics.approvalRequired,
        cancelled: metrics.cancelled,
        running: metrics.running,
        queued: metrics.queued,
        status_counts: Object.fromEntries(metrics.statusCounts.map(({ status, count }) => [status, count])),
        latency_p50: metrics.latencyP50,
        latency_p95: metrics.latencyP95,
        latency_p99: metrics.latencyP99,
        success_rate: metrics.successRate,
      };
    },
    response: obj({
      run_count: int, completed: int, failed: int, approval_required: int, cancelled: int, running: int, queued: int,
      status_counts: { type: 'object', additionalProperties: int }, latency_p50: num, latency_p95: num, latency_p99: num, success_rate: num,
    }),
    errors: [],
    text: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: (data) => toPrometheusText(data.metrics as MetricsSnapshot) },
  },
];
