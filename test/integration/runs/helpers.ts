// Shared helpers of the run-engine suite: typed REST calls and an agent that records when each run
// executes, so that tests can check ordering and overlap instead of guessing with sleeps.
import type { Agent, AgentOutcome, AgentRunInput } from '../../../src/agent/types.js';
import type { EventBody, EventsPage, RunBody, TurnBody } from '../../kit/restTypes.js';
import type { RestResponse } from '../../kit/service.js';
import { waitUntil } from '../../kit/service.js';

export type { EventBody, EventsPage, RunBody, TurnBody } from '../../kit/restTypes.js';

export type Rest = (method: string, urlPath: string, body?: unknown) => Promise<RestResponse>;

export interface MetricsBody {
  run_count: number;
  completed: number;
  failed: number;
  cancelled: number;
  running: number;
  queued: number;
  status_counts: Record<string, number>;
}

export const TERMINAL = new Set(['completed', 'approval_required', 'cancelled', 'failed']);

/**
 * The engine's own events. What the agent appends while it works (memory recall, model calls)
 * is not this suite's business, so event lists are compared after this filter.
 */
const LIFECYCLE = new Set(['run_created', 'run_queued', 'run_cancel_requested', 'worker_finished', 'run_interrupted', 'background_run_failed']);

export function lifecycle(events: EventBody[]): EventBody[] {
  return events.filter((event) => LIFECYCLE.has(event.event_type));
}

/** The body of a 200 response, or a failure that shows what came back instead. */
export function ok<T>(response: RestResponse, what: string): T {
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status} ${response.text}`);
  return response.body as T;
}

export async function createSession(rest: Rest, sessionId: string): Promise<void> {
  ok(await rest('POST', '/sessions', { session_id: sessionId }), `create session ${sessionId}`);
}

export interface TurnOptions {
  idempotency_key?: string;
  wait_for_completion?: boolean;
  wait_timeout_seconds?: number;
}

export async function turn(rest: Rest, sessionId: string, message: string, options: TurnOptions = {}): Promise<TurnBody> {
  return ok<TurnBody>(await rest('POST', `/sessions/${sessionId}/turn`, { message, ...options }), `turn '${message}' in ${sessionId}`);
}

export async function getRun(rest: Rest, runId: string): Promise<RunBody> {
  return ok<RunBody>(await rest('GET', `/runs/${runId}`), `run ${runId}`);
}

export async function metrics(rest: Rest): Promise<MetricsBody> {
  return ok<MetricsBody>(await rest('GET', '/metrics'), 'metrics');
}

/** Polls the run until it is finished; fails after `timeoutMs` with its last state. */
export async function waitForFinished(rest: Rest, runId: string, timeoutMs = 10_000): Promise<RunBody> {
  let last: RunBody | undefined;
  try {
    return await waitUntil(
      async () => {
        last = await getRun(rest, runId);
        return last.completed_at !== null && TERMINAL.has(last.status) ? last : undefined;
      },
      timeoutMs,
      `run ${runId} to finish`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} Last state: ${JSON.stringify(last)}`, { cause: error });
  }
}

/** Every event of the session, paging with since_id. */
export async function allEvents(rest: Rest, sessionId: string, pageSize = 500): Promise<EventBody[]> {
  const events: EventBody[] = [];
  let since = 0;
  for (;;) {
    const page = ok<EventsPage>(await rest('GET', `/sessions/${sessionId}/events?since_id=${since}&limit=${pageSize}`), `events of ${sessionId}`);
    events.push(...page.events);
    if (page.events.length === 0) return events;
    since = page.next_since_id;
  }
}

export interface ExecutionRecord {
  runId: string;
  sessionId: string;
  message: string;
  /** Date.now() when the agent began and returned (or threw). */
  start: number;
  end: number | null;
  /** How many other runs of the same session were executing when this one began. */
  concurrentInSession: number;
}

/**
 * Wraps an agent and records every execution: when it started and ended and whether another run
 * of the same session was executing at the time. The end is recorded before the engine stores
 * the completion, so a run that starts only after its predecessor finished always starts after
 * that predecessor's recorded end.
 */
export class RecordingAgent implements Agent {
  readonly records: ExecutionRecord[] = [];
  private readonly active = new Map<string, number>();

  constructor(private readonly inner: Agent) {}

  async run(input: AgentRunInput): Promise<AgentOutcome> {
    const inSession = this.active.get(input.sessionId) ?? 0;
    this.active.set(input.sessionId, inSession + 1);
    const record: ExecutionRecord = {
      runId: input.runId,
      sessionId: input.sessionId,
      message: input.message,
      start: Date.now(),
      end: null,
      concurrentInSession: inSession,
    };
    this.records.push(record);
    try {
      return await this.inner.run(input);
    } finally {
      record.end = Date.now();
      this.active.set(input.sessionId, (this.active.get(input.sessionId) ?? 1) - 1);
    }
  }
}

/** Duplicates in a list, for messages that show what went wrong. */
export function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const repeated = new Set<T>();
  for (const value of values) {
    if (seen.has(value)) repeated.add(value);
    seen.add(value);
  }
  return [...repeated];
}
