// Shared pieces of the REST contract tests: the exact response shapes of the reference (as
// changed by decisions.md), and a REST client that refuses any 5xx. Shapes are built for
// `toEqual`, so that an extra or a missing field fails a test.

import { createHash } from 'node:crypto';
import type { EventBody, EventsPage, RunBody, TurnBody } from '../../kit/restTypes.js';
import type { RestResponse, TestService } from '../../kit/service.js';
import { waitUntil } from '../../kit/service.js';

type Json = Record<string, unknown>;

export type { EventBody, RunBody, TurnBody };
export type EventsBody = EventsPage;

/** A 12-character lowercase hex id, the format of every id the service generates. */
export const HEX12 = /^[0-9a-f]{12}$/;
export const anyId = (): unknown => expect.stringMatching(HEX12);
export const anyEpoch = (): unknown => expect.any(Number);

export const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

/** Epoch seconds within `slackSeconds` of now: REST timestamps are floats of Unix seconds. */
export function expectRecentEpoch(value: unknown, slackSeconds = 120): void {
  expect(typeof value).toBe('number');
  expect(Math.abs((value as number) - Date.now() / 1000)).toBeLessThan(slackSeconds);
}

export interface Api {
  /** Like the kit's rest(), but a 5xx fails the test at once: the contract has no 500s. */
  call(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<RestResponse>;
  get<T = Json>(urlPath: string, headers?: Record<string, string>): Promise<T>;
  post<T = Json>(urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

/** A client that expects 200 from get()/post() and never a 5xx from anything. */
export function api(service: TestService): Api {
  const call: Api['call'] = async (method, urlPath, body, headers) => {
    const response = await service.rest(method, urlPath, body, headers);
    if (response.status >= 500) {
      throw new Error(`${method} ${urlPath} answered ${response.status}: ${response.text}`);
    }
    return response;
  };
  const ok = async <T>(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<T> => {
    const response = await call(method, urlPath, body, headers);
    if (response.status !== 200) throw new Error(`${method} ${urlPath} answered ${response.status}: ${response.text}`);
    return response.body as T;
  };
  return {
    call,
    get: (urlPath, headers) => ok('GET', urlPath, undefined, headers),
    post: (urlPath, body, headers) => ok('POST', urlPath, body, headers),
  };
}

/** `{"detail": text}`, the error body of every 400/404/409. */
export const detail = (text: string): Json => ({ detail: text });

/** One FastAPI/pydantic 422 item. */
export function issue(type: string, loc: (string | number)[], msg: string, input: unknown, ctx?: Json): Json {
  return { type, loc, msg, input, ...(ctx ? { ctx } : {}) };
}

export const MSG = {
  missing: 'Field required',
  string_type: 'Input should be a valid string',
  int_parsing: 'Input should be a valid integer, unable to parse string as an integer',
  float_parsing: 'Input should be a valid number, unable to parse string as a number',
  bool_parsing: 'Input should be a valid boolean, unable to interpret input',
  bool_type: 'Input should be a valid boolean',
  dict_type: 'Input should be a valid dictionary',
  model_attributes_type: 'Input should be a valid dictionary or object to extract fields from',
  json_invalid: 'JSON decode error',
} as const;

/**
 * A RunRecord (`GET /runs/{id}`, `trace.run`, a turn's `run`). The reference's fields plus
 * `total_tokens` and `tool_calls`, which the route table adds (decision 4 stores the count).
 */
export function runRecord(fields: Json & { id: unknown; session_id: string; status: string; prompt: string }): Json {
  return {
    created_at: anyEpoch(),
    started_at: anyEpoch(),
    completed_at: fields.status === 'running' || fields.status === 'queued' ? null : anyEpoch(),
    response: null,
    error: null,
    input_tokens: 0,
    output_tokens: 0,
    total_tokens: 0,
    tool_calls: 0,
    cancel_requested: false,
    worker_mode: 'local',
    pending_approval_ids: [],
    ...fields,
  };
}

/** A finished run with the default ScriptedAgent (`done`, 10 + 5 tokens). */
export function doneRun(id: unknown, sessionId: string, prompt: string, extra: Json = {}): Json {
  return runRecord({
    id,
    session_id: sessionId,
    status: 'completed',
    prompt,
    response: 'done',
    input_tokens: 10,
    output_tokens: 5,
    total_tokens: 15,
    ...extra,
  });
}

/** An item of `GET /sessions/{id}/runs` (decision 4: with session_id, total_tokens and tool_calls). */
export function runListItem(fields: Json & { id: unknown; session_id: string; status: string; prompt: string }): Json {
  return {
    created_at: anyEpoch(),
    completed_at: fields.status === 'running' || fields.status === 'queued' ? null : anyEpoch(),
    error: null,
    input_tokens: 0,
    output_tokens: 0,
    total_tokens: 0,
    tool_calls: 0,
    cancel_requested: false,
    worker_mode: 'local',
    ...fields,
  };
}

/** A TurnResult whose `run` is the current run record (decision 3). */
export function turnResult(run: Json, reused: boolean): Json {
  return {
    run_id: run.id,
    status: run.status,
    reply: run.response ?? '',
    error: run.error ?? null,
    pending_approval_ids: run.pending_approval_ids ?? [],
    total_tokens: run.total_tokens ?? 0,
    tool_calls: run.tool_calls ?? 0,
    run,
    reused,
  };
}

/** Creates a session and returns its id. */
export async function createSession(client: Api, body: Json = {}): Promise<string> {
  const created = await client.post<{ session_id: string }>('/sessions', body);
  return created.session_id;
}

/** Sends a turn and returns the TurnResult. */
export function turn(client: Api, sessionId: string, body: Json): Promise<TurnBody> {
  return client.post<TurnBody>(`/sessions/${encodeURIComponent(sessionId)}/turn`, body);
}

/** Polls `GET /runs/{id}` until the run has finished (or the deadline passes). */
export function waitForFinished(client: Api, runId: string, timeoutMs = 10_000): Promise<RunBody> {
  return waitUntil(
    async () => {
      const run = await client.get<RunBody>(`/runs/${runId}`);
      return run.completed_at === null ? undefined : run;
    },
    timeoutMs,
    `run ${runId} to finish`,
  );
}
