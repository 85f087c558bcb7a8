// Typed bodies of the REST API's responses, shared by the integration suites. They follow the
// response schemas of src/server/rest/routes.ts (and the mappings in src/server/rest/mapping.ts).

type Json = Record<string, unknown>;

/** A run record (`GET /runs/{id}`, and `run` inside a turn result). */
export interface RunBody {
  id: string;
  session_id: string;
  created_at: number;
  started_at: number;
  completed_at: number | null;
  status: string;
  prompt: string;
  response: string | null;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  tool_calls: number;
  cancel_requested: boolean;
  worker_mode: string;
  pending_approval_ids: string[];
}

/** The result of `POST /sessions/{id}/turn`. */
export interface TurnBody {
  run_id: string;
  status: string;
  reply: string;
  error: string | null;
  pending_approval_ids: string[];
  total_tokens: number;
  tool_calls: number;
  run: RunBody;
  reused: boolean;
}

/** A session event (`GET /sessions/{id}/events`). */
export interface EventBody {
  id: number;
  run_id: string;
  ts: number;
  event_type: string;
  payload: Json;
}

/** A page of `GET /sessions/{id}/events`. */
export interface EventsPage {
  session_id: string;
  events: EventBody[];
  next_since_id: number;
}

export interface ApprovalBody {
  id: string;
  session_id: string;
  run_id: string;
  tool_name: string;
  tool_input: Json;
  reason: string;
  status: string;
  created_at: number;
  decided_at: number | null;
  decision_note: string | null;
}

export interface ArtifactBody {
  id: string;
  kind: string;
  path: string;
  created_at: number;
  size_bytes: number;
  sha256: string;
}

/** A trace event carries session_id instead of run_id. */
export interface TraceEventBody {
  id: number;
  session_id: string;
  ts: number;
  event_type: string;
  payload: Json;
}

/** `GET /runs/{id}/trace`. */
export interface TraceBody {
  run: RunBody;
  events: TraceEventBody[];
  events_next_since_id: number;
  events_has_more: boolean;
  artifacts: ArtifactBody[];
  approvals: ApprovalBody[];
  usage: Json;
  provider: string | null;
  model: string | null;
  model_prompt: string | null;
  system_prompt: string | null;
  /** The skill that rendered the prompt, when the run came from one. */
  skill: { skill_id: string; skill_version: number; params: Record<string, string> } | null;
  schedule_id: string | null;
}
