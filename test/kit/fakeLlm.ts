// Fake LLM servers for tests: real HTTP on 127.0.0.1 (port 0) speaking the real wire protocols,
// so the official SDKs, and everything above them, run exactly as in production.
//
// - startFakeAnthropic: POST /v1/messages, streamed as the Messages API does it (SSE events
//   message_start, content_block_start/delta/stop, ping, message_delta, message_stop).
// - startFakeOpenAI: POST /v1/chat/completions, streamed as `data: {chat.completion.chunk}`
//   lines, a usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`.
//
// A script is a list of turns, one consumed per model request (then `fallback`). Every request
// is recorded (parsed JSON body and headers) so a test can assert what was sent. Pass
// `server.url` as the provider's base URL. Always `await server.close()`.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface FakeTurn {
  /** Text deltas, streamed in order. */
  text?: string[];
  /** Tool calls, streamed after the text with their JSON arguments cut into small fragments. */
  toolCalls?: FakeToolCall[];
  /** Token counts reported for this turn; default `{input: 10, output: 5}`. */
  usage?: { input: number; output: number };
  /** Pause before every streamed delta after the first, and before the closing events. */
  delayMs?: number;
  /** Overrides the stop reason (default: tool_use/tool_calls with tool calls, else end_turn/stop). */
  stopReason?: string;
  /** Answer with this HTTP status instead of a stream; `body` defaults to the protocol's error shape. */
  error?: { status: number; body?: unknown; headers?: Record<string, string> };
  /** After the text, send the protocol's in-stream error event and end the response. */
  streamError?: { type?: string; message: string };
  /** End the response after the deltas, without the closing events (a cut-off stream). */
  truncate?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string>;
  /** The parsed JSON body (`{}` when the body was not JSON). */
  body: Record<string, unknown>;
}

export interface FakeLlmServer {
  /** The base URL to configure: the origin for Anthropic, `<origin>/v1` for OpenAI. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Resolves with the requests once `count` have arrived; rejects after `deadlineMs`. */
  waitForRequests(count: number, deadlineMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** The turn served once the script is used up; default a short text reply. */
  fallback?: FakeTurn;
}

const DEFAULT_FALLBACK: FakeTurn = { text: ['(fake model: script exhausted)'] };
const DEFAULT_USAGE = { input: 10, output: 5 };

export function startFakeAnthropic(script: FakeTurn[], options: FakeOptions = {}): Promise<FakeLlmServer> {
  return startFake('', '/v1/messages', script, options, serveAnthropic);
}

export function startFakeOpenAI(script: FakeTurn[], options: FakeOptions = {}): Promise<FakeLlmServer> {
  return startFake('/v1', '/v1/chat/completions', script, options, serveOpenAI);
}

// ---------------------------------------------------------------------------------------------
// The server shell: routing, recording, script consumption, disposal.

type Serve = (turn: FakeTurn, body: Record<string, unknown>, out: Out) => Promise<void>;

async function startFake(
  basePath: string,
  endpoint: string,
  script: FakeTurn[],
  options: FakeOptions,
  serve: Serve,
): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let next = 0;

  const server = http.createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        headers: flattenHeaders(req.headers),
        body: parseJson(raw),
      };
      requests.push(recorded);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();

      const out = new Out(res);
      if (req.method !== 'POST' || recorded.path !== endpoint) {
        out.json(404, { error: { type: 'not_found_error', message: `No route for ${req.method} ${recorded.path}` } });
        return;
      }
      const turn = script[next] ?? options.fallback ?? DEFAULT_FALLBACK;
      next += 1;
      await serve(turn, recorded.body, out);
    })().catch((error: unknown) => {
      // A fake that breaks must say so loudly instead of leaving the client hanging.
      console.error('fake LLM server failed:', error);
      res.destroy();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    waitForRequests(count, deadlineMs = 5000) {
      if (requests.length >= count) return Promise.resolve([...requests]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`fake LLM server: ${requests.length} of ${count} requests within ${deadlineMs} ms`)),
          deadlineMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve([...requests]);
          },
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streams still open (a client that never read to the end) would hold close() forever.
        server.closeAllConnections();
      });
    },
  };
}

/** One response, tolerant of a client that goes away mid-stream. */
class Out {
  private gone = false;
  private readonly closed: Promise<void>;

  constructor(private readonly res: http.ServerResponse) {
    this.closed = new Promise((resolve) =>
      res.on('close', () => {
        this.gone = true;
        resolve();
      }),
    );
    // Writing to a socket the client closed raises EPIPE/ECONNRESET here; it is expected.
    res.on('error', () => undefined);
  }

  get clientGone(): boolean {
    return this.gone;
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/plain' : 'application/json';
    this.res.writeHead(status, { 'content-type': type, ...headers }).end(text);
  }

  startStream(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    this.res.flushHeaders();
  }

  /** One SSE message; `event` is omitted for OpenAI-style streams. */
  send(data: unknown, event?: string): void {
    if (this.gone) return;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    this.res.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`);
  }

  end(): void {
    if (!this.gone) this.res.end();
  }

  /** Waits `ms`, or less if the client leaves first. */
  async pause(ms: number | undefined): Promise<void> {
    if (!ms || this.gone) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.closed]);
    clearTimeout(timer);
  }
}

/** JSON text cut into fragments of a few characters, as models stream tool arguments. */
function fragments(text: string, size = 7): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

let counter = 0;
const newId = (prefix: string): string => `${prefix}${(++counter).toString(36).padStart(6, '0')}`;

// ---------------------------------------------------------------------------------------------
// Anthropic Messages API.

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

async function serveAnthropic(turn: FakeTurn, body: Record<string, unknown>, out: Out): Promise<void> {
  if (turn.error) {
    const type = ANTHROPIC_ERROR_TYPES[turn.error.status] ?? 'api_error';
    const errorBody = turn.error.body ?? { type: 'error', error: { type, message: `fake error ${turn.error.status}` } };
    out.json(turn.error.status, errorBody, turn.error.headers);
    return;
  }
  const model = typeof body.model === 'string' ? body.model : 'claude-fake';
  const usage = turn.usage ?? DEFAULT_USAGE;
  const text = turn.text ?? [];
  const toolCalls = turn.toolCalls ?? [];
  const stopReason = turn.stopReason ?? (toolCalls.length > 0 ? 'tool_use' : 'end_turn');
  const id = newId('msg_fake');

  if (body.stream !== true) {
    const content = [
      ...(text.length > 0 ? [{ type: 'text', text: text.join('') }] : []),
      ...toolCalls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.input })),
    ];
    out.json(200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output },
    });
    return;
  }

  out.startStream();
  const message = {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
  out.send({ type: 'message_start', message }, 'message_start');

  let index = 0;
  let first = true;
  const delta = async (data: unknown): Promise<void> => {
    if (!first) await out.pause(turn.delayMs);
    first = false;
    out.send(data, 'content_block_delta');
  };

  if (text.length > 0) {
    out.send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start');
    out.send({ type: 'ping' }, 'ping');
    for (const piece of text) await delta({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    out.send({ type: 'content_block_stop', index }, 'content_block_stop');
    index += 1;
  }
  if (turn.streamError) {
    const error = { type: turn.streamError.type ?? 'overloaded_error', message: turn.streamError.message };
    out.send({ type: 'error', error }, 'error');
    out.end();
    return;
  }
  for (const call of toolCalls) {
    const block = { type: 'tool_use', id: call.id, name: call.name, input: {} };
    out.send({ type: 'content_block_start', index, content_block: block }, 'content_block_start');
    // The real API opens every tool block with an empty fragment.
    for (const part of ['', ...fragments(JSON.stringify(call.input))]) {
      await delta({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
    }
    out.send({ type: 'content_block_stop', index }, 'content_block_stop');
    index += 1;
  }
  if (turn.truncate) {
    out.end();
    return;
  }
  await out.pause(turn.delayMs);
  out.send(
    {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output },
    },
    'message_delta',
  );
  out.send({ type: 'message_stop' }, 'message_stop');
  out.end();
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions.

const OPENAI_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
};

async function serveOpenAI(turn: FakeTurn, body: Record<string, unknown>, out: Out): Promise<void> {
  if (turn.error) {
    const type = OPENAI_ERROR_TYPES[turn.error.status] ?? 'server_error';
    const errorBody = turn.error.body ?? { error: { message: `fake error ${turn.error.status}`, type, param: null, code: null } };
    out.json(turn.error.status, errorBody, turn.error.headers);
    return;
  }
  const model = typeof body.model === 'string' ? body.model : 'gpt-fake';
  const usage = turn.usage ?? DEFAULT_USAGE;
  const text = turn.text ?? [];
  const toolCalls = turn.toolCalls ?? [];
  const finishReason = turn.stopReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  const id = newId('chatcmpl-fake');
  const created = Math.floor(Date.now() / 1000);
  const usageBody = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };

  if (body.stream !== true) {
    const calls = toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.input) },
    }));
    out.json(200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text.length > 0 ? text.join('') : null, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: usageBody,
    });
    return;
  }

  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
  const includeUsage = streamOptions?.include_usage === true;
  // With include_usage every chunk carries `usage: null` until the last one.
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });

  out.startStream();
  out.send(chunk({ role: 'assistant', content: '', refusal: null }));
  let first = true;
  const delta = async (data: Record<string, unknown>): Promise<void> => {
    if (!first) await out.pause(turn.delayMs);
    first = false;
    out.send(chunk(data));
  };

  for (const piece of text) await delta({ content: piece });
  if (turn.streamError) {
    out.send({ error: { message: turn.streamError.message, type: turn.streamError.type ?? 'server_error', param: null, code: null } });
    out.end();
    return;
  }
  for (const [index, call] of toolCalls.entries()) {
    await delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const part of fragments(JSON.stringify(call.input))) {
      await delta({ tool_calls: [{ index, function: { arguments: part } }] });
    }
  }
  if (turn.truncate) {
    out.end();
    return;
  }
  await out.pause(turn.delayMs);
  out.send(chunk({}, finishReason));
  if (includeUsage) {
    out.send({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage: usageBody });
  }
  out.send('[DONE]');
  out.end();
}
