// Helpers shared by the live-stream tests: graphql-ws clients, subscription collectors, an SSE
// reader, and ways to seed and read a session's events.
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestService } from '../../kit/service.js';
import { waitUntil } from '../../kit/service.js';
import { readSseFrames, type SseFrame } from '../../kit/sse.js';

export const wsUrl = (service: { url: string }): string => service.url.replace(/^http/, 'ws') + '/graphql';

/** Clients and streams a test opened; `closeAll` ends them (afterEach). */
export class Resources {
  private readonly closers: Array<() => Promise<void> | void> = [];

  add(close: () => Promise<void> | void): void {
    this.closers.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // already closed
      }
    }
  }
}

export interface WsClientRecord {
  client: Client;
  /** Every raw protocol message the client received, as text. */
  raw: string[];
  /** Close events the client saw. */
  closes: Array<{ code: number; reason: string }>;
}

/** A graphql-ws client that never retries (a test wants to see the first failure). */
export function wsClient(service: { url: string }, resources: Resources, options: Partial<ClientOptions> = {}): WsClientRecord {
  const raw: string[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  const client = createClient({
    url: wsUrl(service),
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    ...options,
    on: {
      message: (message) => void raw.push(JSON.stringify(message)),
      closed: (event) => {
        const close = event as { code?: number; reason?: string };
        closes.push({ code: close.code ?? 0, reason: close.reason ?? '' });
      },
      ...options.on,
    },
  });
  resources.add(() => client.dispose());
  return { client, raw, closes };
}

export interface GqlError {
  message: string;
  extensions?: { code?: string };
}

export interface Subscription<T> {
  /** `data` of every `next` without errors. */
  items: T[];
  /** Errors, whether they came in a `next` payload, an `error` message or a close. */
  errors: GqlError[];
  /** The close event or Error when the socket failed, if it did. */
  failure: unknown;
  completed: boolean;
  /** Resolves once the subscription completed or failed. */
  ended: Promise<void>;
  unsubscribe(): void;
}

export function subscribe<T>(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const subscription: Subscription<T> = {
    items: [],
    errors: [],
    failure: undefined,
    completed: false,
    ended,
    unsubscribe: () => undefined,
  };
  subscription.unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) subscription.errors.push(...(result.errors as GqlError[]));
        else if (result.data) subscription.items.push(result.data as T);
      },
      error: (error) => {
        if (Array.isArray(error)) subscription.errors.push(...(error as GqlError[]));
        else subscription.failure = error;
        finish();
      },
      complete: () => {
        subscription.completed = true;
        finish();
      },
    },
  );
  return subscription;
}

export interface StreamEvent {
  __typename: 'Event';
  id: number;
  runId: string;
  eventType: string;
  payload: Record<string, unknown>;
}
export interface StreamDelta {
  __typename: 'ReplyDelta';
  sessionId: string;
  runId: string;
  text: string;
}
export type StreamItem = StreamEvent | StreamDelta;

export const SESSION_EVENTS = `subscription Events($sessionId: ID!, $sinceId: SafeInt, $deltas: Boolean) {
  sessionEvents(sessionId: $sessionId, sinceId: $sinceId, includeReplyDeltas: $deltas) {
    __typename
    ... on Event { id runId eventType payload }
    ... on ReplyDelta { sessionId runId text }
  }
}`;

export function subscribeEvents(client: Client, sessionId: string, sinceId: number, deltas = false): Subscription<{ sessionEvents: StreamItem }> {
  return subscribe<{ sessionEvents: StreamItem }>(client, SESSION_EVENTS, { sessionId, sinceId, deltas });
}

export const eventIds = (sub: Subscription<{ sessionEvents: StreamItem }>): number[] =>
  sub.items.flatMap(({ sessionEvents: item }) => (item.__typename === 'Event' ? [item.id] : []));

export const lastOf = (ids: readonly number[]): number | undefined => ids[ids.length - 1];

/** Ids of the session's stored events, oldest first, straight from the table. */
export async function storedIds(service: TestService, sessionId: string, afterId = 0): Promise<number[]> {
  const rows = await service.db.event.findMany({
    where: { sessionId, id: { gt: BigInt(afterId) } },
    orderBy: { id: 'asc' },
    select: { id: true },
  });
  return rows.map((row) => Number(row.id));
}

/** A session with one finished run (events need a run id); returns the run id. */
export async function sessionWithRun(service: TestService, sessionId: string): Promise<string> {
  const created = await service.rest('POST', '/sessions', { session_id: sessionId });
  if (created.status !== 200) throw new Error(`POST /sessions: ${created.status} ${created.text}`);
  const turn = await service.rest('POST', `/sessions/${sessionId}/turn`, { message: 'seed' });
  if (turn.status !== 200) throw new Error(`POST turn: ${turn.status} ${turn.text}`);
  return (turn.body as { run_id: string }).run_id;
}

/** Appends `count` `test` events through the service, one transaction each; returns their ids. */
export async function appendEvents(service: TestService, sessionId: string, runId: string, count: number, from = 0): Promise<number[]> {
  const ids: number[] = [];
  for (let n = from; n < from + count; n++) {
    const row = await service.services.events.append({ sessionId, runId, eventType: 'test', payload: { n } });
    ids.push(Number(row.id));
  }
  return ids;
}

/**
 * Appends `count` `test` events in ONE transaction through the service's own append path
 * (`appendIn`, then `committed`): the same locking, id drawing and signals, a lot faster.
 */
export async function appendBatch(service: TestService, sessionId: string, runId: string, count: number, from = 0): Promise<number[]> {
  const { events } = service.services;
  const rows = await service.db.$transaction(
    async (tx) => {
      const appended = [];
      for (let n = from; n < from + count; n++) appended.push(await events.appendIn(tx, { sessionId, runId, eventType: 'test', payload: { n } }));
      return appended;
    },
    { timeout: 60_000 },
  );
  events.committed(rows);
  return rows.map((row) => Number(row.id));
}

/**
 * Inserts `count` events in one statement (fast; each carries `padChars` of padding), then tells
 * the process's live streams, as a commit of the service's own would.
 */
export async function bulkInsert(service: TestService, sessionId: string, runId: string, count: number, padChars = 0): Promise<void> {
  await service.db.$executeRaw`
    INSERT INTO events (session_id, run_id, ts, event_type, payload)
    SELECT ${sessionId}, ${runId}, clock_timestamp(), 'bulk', jsonb_build_object('n', g, 'pad', repeat('x', ${padChars}::int))
    FROM generate_series(1, ${count}::int) AS g
    ORDER BY g`;
  service.services.live.notify(sessionId);
}

/** An open Server-Sent Events response, read in the background and parsed into frames. */
export interface SseStream {
  status: number;
  headers: Headers;
  frames: SseFrame[];
  /** Comment lines (heartbeats) seen. */
  comments: string[];
  /** True once the server ended the response (or it failed). */
  ended: boolean;
  endedPromise: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>, resources: Resources): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  let finish!: () => void;
  const stream: SseStream = {
    status: response.status,
    headers: response.headers,
    frames: [],
    comments: [],
    ended: false,
    endedPromise: new Promise<void>((resolve) => (finish = resolve)),
    close: () => controller.abort(),
  };
  resources.add(() => controller.abort());
  const body = response.body;
  if (!body) {
    stream.ended = true;
    finish();
    return stream;
  }
  void readSseFrames(body, { frame: (frame) => stream.frames.push(frame), comment: (line) => stream.comments.push(line) }).finally(() => {
    stream.ended = true;
    finish();
  });
  return stream;
}

export const sseEventIds = (stream: SseStream): number[] => stream.frames.filter((f) => f.id !== undefined && f.event !== 'error').map((f) => Number(f.id));

/** Waits until `check` holds; a thin wrapper so conditions read as booleans. */
export function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<true> {
  return waitUntil(async () => ((await check()) ? true : undefined), timeoutMs, what);
}
