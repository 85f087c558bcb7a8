// Shared pieces of the real-agent tests: the two provider wire formats, a stable LLM endpoint in
// front of one fake server per test, REST helpers, a reader of the model requests, and a checker
// of what a real provider API would refuse.
//
// The service is configured once with the URL of a small HTTP relay (LlmRelay); each test starts
// its own fake LLM server with its own script and points the relay at it. So every test sees only
// its own model requests, and the relay also sees when the service abandons a response (a
// cancelled run aborting its model call).

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startFakeAnthropic, startFakeOpenAI, type FakeLlmServer, type FakeOptions, type FakeTurn, type RecordedRequest } from '../../kit/fakeLlm.js';
import { startTestService, waitUntil, type TestService, type TestServiceOptions } from '../../kit/service.js';
import type { ApprovalBody, ArtifactBody, EventBody, RunBody, TraceBody, TurnBody } from '../../kit/restTypes.js';
import { readSseFrames } from '../../kit/sse.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Providers.

export type ProviderName = 'anthropic' | 'openai-compatible';

export interface ProviderCase {
  name: ProviderName;
  startFake(script: FakeTurn[], options?: FakeOptions): Promise<FakeLlmServer>;
  /** The settings that point the planning provider at `origin` (the relay). */
  env(origin: string): Record<string, string>;
  /** The stop reasons the wire protocol reports for a text reply and for tool calls. */
  stop: { text: string; toolUse: string };
  /** The setting a 401 must name. */
  keySetting: string;
}

export const PLANNING_MODEL = 'fake-planner';
export const CODING_MODEL = 'fake-coder';

export const PROVIDERS: ProviderCase[] = [
  {
    name: 'anthropic',
    startFake: startFakeAnthropic,
    env: (origin) => ({ ANTON_PLANNING_PROVIDER: 'anthropic', ANTON_ANTHROPIC_API_KEY: 'test-key', ANTON_ANTHROPIC_BASE_URL: origin }),
    stop: { text: 'end_turn', toolUse: 'tool_use' },
    keySetting: 'ANTON_ANTHROPIC_API_KEY',
  },
  {
    name: 'openai-compatible',
    startFake: startFakeOpenAI,
    env: (origin) => ({ ANTON_PLANNING_PROVIDER: 'openai-compatible', ANTON_OPENAI_BASE_URL: `${origin}/v1` }),
    stop: { text: 'stop', toolUse: 'tool_calls' },
    keySetting: 'ANTON_OPENAI_API_KEY',
  },
];

// ---------------------------------------------------------------------------------------------
// The relay: one stable URL for the service, one fake server per test behind it.

export class LlmRelay {
  private fake: FakeLlmServer | null = null;
  private readonly sockets = new Set<Socket>();
  /** Paths of model requests whose response the service abandoned before it was complete. */
  readonly abandoned: string[] = [];

  private constructor(
    readonly provider: ProviderCase,
    private readonly server: http.Server,
    readonly origin: string,
  ) {}

  static async start(provider: ProviderCase): Promise<LlmRelay> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const relay = new LlmRelay(provider, server, `http://127.0.0.1:${port}`);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => relay.forward(req, res));
    server.on('connection', (socket) => {
      relay.sockets.add(socket);
      socket.on('close', () => relay.sockets.delete(socket));
    });
    return relay;
  }

  /** The planning-provider settings that reach this relay. */
  env(): Record<string, string> {
    return this.provider.env(this.origin);
  }

  /** Starts a fake server with this script (closing the previous one) and sends requests to it. */
  async script(turns: FakeTurn[], options?: FakeOptions): Promise<FakeLlmServer> {
    await this.release();
    this.fake = await this.provider.startFake(turns, options);
    return this.fake;
  }

  /** Closes the current fake server; requests get an HTTP 503 until the next script. */
  async release(): Promise<void> {
    const fake = this.fake;
    this.fake = null;
    await fake?.close();
  }

  async close(): Promise<void> {
    await this.release();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const fake = this.fake;
    res.on('error', () => undefined);
    if (fake === null) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: 'no script' } }));
      return;
    }
    const target = new URL(req.url ?? '/', new URL(fake.url).origin);
    let upstreamOver = false;
    const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('end', () => (upstreamOver = true));
      answer.on('error', () => (upstreamOver = true));
      answer.pipe(res);
    });
    upstream.on('error', () => {
      upstreamOver = true;
      res.destroy();
    });
    res.on('close', () => {
      // The service went away while the fake was still answering: it abandoned the call.
      if (!res.writableFinished && !upstreamOver) {
        this.abandoned.push(req.url ?? '');
        upstream.destroy();
      }
    });
    req.pipe(upstream);
  }
}

// ---------------------------------------------------------------------------------------------
// Services.

export interface AgentServiceOptions extends Omit<TestServiceOptions, 'realAgent' | 'agent'> {
  /** Memory recall is off unless asked for, so that runs of one test do not leak into another's prompt. */
  memory?: boolean;
}

export function startAgentService(relay: LlmRelay | null, options: AgentServiceOptions = {}): Promise<TestService> {
  const { memory = false, env = {}, ...rest } = options;
  return startTestService({
    ...rest,
    realAgent: true,
    env: {
      ...(relay ? relay.env() : {}),
      ANTON_PLANNING_MODEL: PLANNING_MODEL,
      ANTON_CODING_MODEL: CODING_MODEL,
      ANTON_MEMORY_ENABLED: memory ? 'true' : 'false',
      ...env,
    },
  });
}

/** What a describe block's agent hooks started (see useAgentService). */
export interface AgentSetup {
  relay: LlmRelay;
  service: TestService;
  api: Api;
}

export interface WarehouseAgentSetup extends AgentSetup {
  warehouse: Warehouse;
}

interface Started {
  relay?: LlmRelay;
  warehouse?: Warehouse;
  service?: TestService;
}

/**
 * Registers a describe block's hooks: beforeAll starts a relay for `provider` and an agent service
 * behind it (with `options`) and hands them to `ready`; each test's fake LLM is released after it;
 * afterAll stops everything that was started.
 */
export function useAgentService(provider: ProviderCase, ready: (setup: AgentSetup) => void, options: AgentServiceOptions = {}): void {
  const started: Started = {};
  beforeAll(async () => {
    const relay = (started.relay = await LlmRelay.start(provider));
    const service = (started.service = await startAgentService(relay, options));
    ready({ relay, service, api: new Api(service) });
  });
  stopAfterwards(started);
}

/** As useAgentService, with a fresh SQLite warehouse behind the local connector. */
export function useWarehouseAgentService(provider: ProviderCase, ready: (setup: WarehouseAgentSetup) => void): void {
  const started: Started = {};
  beforeAll(async () => {
    const relay = (started.relay = await LlmRelay.start(provider));
    const warehouse = (started.warehouse = await createWarehouse());
    const service = (started.service = await startAgentService(relay, { env: warehouseEnv(warehouse) }));
    ready({ relay, warehouse, service, api: new Api(service) });
  });
  stopAfterwards(started);
}

function stopAfterwards(started: Started): void {
  afterEach(() => started.relay?.release());
  afterAll(async () => {
    await started.service?.dispose();
    await started.relay?.close();
    await started.warehouse?.remove();
  });
}

// ---------------------------------------------------------------------------------------------
// REST.

export type { ApprovalBody, ArtifactBody, EventBody, RunBody, TraceBody, TurnBody } from '../../kit/restTypes.js';

export class Api {
  constructor(readonly service: TestService) {}

  async get<T>(urlPath: string): Promise<T> {
    const response = await this.service.rest('GET', urlPath);
    if (response.status !== 200) throw new Error(`GET ${urlPath} answered ${response.status}: ${response.text}`);
    return response.body as T;
  }

  async post<T>(urlPath: string, body?: unknown): Promise<T> {
    const response = await this.service.rest('POST', urlPath, body ?? {});
    if (response.status !== 200) throw new Error(`POST ${urlPath} answered ${response.status}: ${response.text}`);
    return response.body as T;
  }

  /** Creates a session (with its own workspace under the service home unless told otherwise). */
  async session(name: string, body: Json = {}): Promise<{ id: string; workspace: string }> {
    const created = await this.post<{ session_id: string; workspace_path: string }>('/sessions', {
      workspace_path: path.join(this.service.home, `ws-${name}`),
      ...body,
    });
    return { id: created.session_id, workspace: created.workspace_path };
  }

  turn(sessionId: string, message: string, extra: Json = {}): Promise<TurnBody> {
    return this.post<TurnBody>(`/sessions/${sessionId}/turn`, { message, ...extra });
  }

  run(runId: string): Promise<RunBody> {
    return this.get<RunBody>(`/runs/${runId}`);
  }

  trace(runId: string): Promise<TraceBody> {
    return this.get<TraceBody>(`/runs/${runId}/trace`);
  }

  async artifacts(runId: string): Promise<ArtifactBody[]> {
    return (await this.get<{ artifacts: ArtifactBody[] }>(`/runs/${runId}/artifacts`)).artifacts;
  }

  /** The events of one run, oldest first. */
  async events(sessionId: string, runId: string): Promise<EventBody[]> {
    const page = await this.get<{ events: EventBody[] }>(`/sessions/${sessionId}/events?limit=10000`);
    return page.events.filter((event) => event.run_id === runId);
  }

  async approvals(sessionId: string, status = 'pending'): Promise<ApprovalBody[]> {
    return (await this.get<{ approvals: ApprovalBody[] }>(`/approvals?status=${status}&session_id=${sessionId}`)).approvals;
  }

  decide(approvalId: string, approved: boolean, note?: string): Promise<ApprovalBody> {
    return this.post<ApprovalBody>(`/approvals/${approvalId}/decision`, { approved, note: note ?? null });
  }

  waitForEnd(runId: string, timeoutMs = 15_000): Promise<RunBody> {
    return waitUntil(
      async () => {
        const run = await this.run(runId);
        return run.completed_at === null ? undefined : run;
      },
      timeoutMs,
      `run ${runId} to end`,
    );
  }
}

export const types = (events: EventBody[]): string[] => events.map((event) => event.event_type);
export const ofType = (events: EventBody[], type: string): EventBody[] => events.filter((event) => event.event_type === type);
export const previews = (events: EventBody[]): string[] => ofType(events, 'tool_result').map((event) => String(event.payload.content_preview));

export const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

// ---------------------------------------------------------------------------------------------
// What the model received, read from the recorded request in either wire format.

/** One step of a conversation, the same for both wire formats. */
export type Step =
  | { role: 'user' | 'assistant'; text: string }
  | { role: 'tool_use'; id: string; name: string; input: unknown }
  | { role: 'tool_result'; id: string; content: string };

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

export function systemOf(provider: ProviderCase, request: RecordedRequest): string {
  if (provider.name === 'anthropic') return String(request.body.system ?? '');
  const first = asArray(request.body.messages)[0];
  return first?.role === 'system' ? String(first.content) : '';
}

export function toolNamesOf(provider: ProviderCase, request: RecordedRequest): string[] {
  return asArray(request.body.tools).map((tool) =>
    provider.name === 'anthropic' ? String(tool.name) : String((tool.function as Json | undefined)?.name),
  );
}

/** The conversation the model was sent (no system prompt), as steps. */
export function stepsOf(provider: ProviderCase, request: RecordedRequest): Step[] {
  const steps: Step[] = [];
  for (const message of asArray(request.body.messages)) {
    const role = String(message.role);
    if (provider.name === 'anthropic') {
      if (typeof message.content === 'string') {
        steps.push({ role: role as 'user' | 'assistant', text: message.content });
        continue;
      }
      for (const block of asArray(message.content)) {
        if (block.type === 'text') steps.push({ role: role as 'user' | 'assistant', text: String(block.text) });
        if (block.type === 'tool_use') steps.push({ role: 'tool_use', id: String(block.id), name: String(block.name), input: block.input });
        if (block.type === 'tool_result') steps.push({ role: 'tool_result', id: String(block.tool_use_id), content: contentText(block.content) });
      }
      continue;
    }
    if (role === 'system') continue;
    if (role === 'tool') {
      steps.push({ role: 'tool_result', id: String(message.tool_call_id), content: contentText(message.content) });
      continue;
    }
    if (typeof message.content === 'string' && (message.content !== '' || !message.tool_calls)) {
      steps.push({ role: role as 'user' | 'assistant', text: message.content });
    }
    for (const call of asArray(message.tool_calls)) {
      const fn = call.function as Json;
      steps.push({ role: 'tool_use', id: String(call.id), name: String(fn.name), input: JSON.parse(String(fn.arguments)) as unknown });
    }
  }
  return steps;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((block) => (block.type === 'text' ? String(block.text) : ''))
    .join('');
}

/** The text of the last user message with plain text (the one this turn added). */
export function lastUserText(provider: ProviderCase, request: RecordedRequest): string {
  const users = stepsOf(provider, request).flatMap((step) => (step.role === 'user' ? [step.text] : []));
  return users.at(-1) ?? '';
}

/**
 * What the real provider API would refuse in this request, as readable lines (empty when none):
 * - Anthropic: a message with empty content (other than a final assistant message); a tool_use
 *   without its tool_result in the very next (user) message; a tool_result without the tool_use
 *   in the message just before; a conversation that does not start with a user message.
 * - OpenAI: an assistant message with tool_calls not followed by one `tool` message per call; a
 *   `tool` message that answers no call of the assistant message before it.
 */
export function wireProblems(provider: ProviderCase, request: RecordedRequest): string[] {
  const problems: string[] = [];
  const messages = asArray(request.body.messages);
  if (provider.name === 'anthropic') {
    if (messages[0]?.role !== 'user') problems.push('messages.0: the first message must be a user message');
    messages.forEach((message, index) => {
      const blocks = typeof message.content === 'string' ? null : asArray(message.content);
      const empty =
        (blocks === null && String(message.content).trim() === '') ||
        (blocks !== null && (blocks.length === 0 || blocks.some((block) => block.type === 'text' && String(block.text) === '')));
      const finalAssistant = index === messages.length - 1 && message.role === 'assistant';
      if (empty && !finalAssistant) problems.push(`messages.${index}: all messages must have non-empty content except for the optional final assistant message`);
      const uses = (blocks ?? []).filter((block) => block.type === 'tool_use').map((block) => String(block.id));
      if (uses.length > 0) {
        const next = messages[index + 1];
        const answered = new Set(
          (next && typeof next.content !== 'string' ? asArray(next.content) : []).filter((block) => block.type === 'tool_result').map((block) => String(block.tool_use_id)),
        );
        const missing = uses.filter((id) => !answered.has(id));
        if (missing.length > 0) problems.push(`messages.${index}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}`);
      }
      const results = (blocks ?? []).filter((block) => block.type === 'tool_result').map((block) => String(block.tool_use_id));
      if (results.length > 0) {
        const previous = messages[index - 1];
        const asked = new Set(
          (previous && typeof previous.content !== 'string' ? asArray(previous.content) : []).filter((block) => block.type === 'tool_use').map((block) => String(block.id)),
        );
        const orphans = results.filter((id) => !asked.has(id));
        if (orphans.length > 0) problems.push(`messages.${index}: unexpected tool_use_id found in tool_result blocks: ${orphans.join(', ')}`);
      }
    });
    return problems;
  }
  messages.forEach((message, index) => {
    if (message.role === 'assistant') {
      const ids = asArray(message.tool_calls).map((call) => String(call.id));
      const answered = new Set<string>();
      for (let next = index + 1; next < messages.length && messages[next]?.role === 'tool'; next++) answered.add(String(messages[next]?.tool_call_id));
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        problems.push(
          `messages.${index}: An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. Missing: ${missing.join(', ')}`,
        );
      }
    }
    if (message.role === 'tool') {
      let owner = index - 1;
      while (owner >= 0 && messages[owner]?.role === 'tool') owner--;
      const asked = new Set(asArray(messages[owner]?.tool_calls).map((call) => String(call.id)));
      if (!asked.has(String(message.tool_call_id))) {
        problems.push(`messages.${index}: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'`);
      }
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// A local SQLite warehouse for the connector.

export interface Warehouse {
  dir: string;
  file: string;
  count(table?: string): number;
  tables(): string[];
  remove(): Promise<void>;
}

export async function createWarehouse(): Promise<Warehouse> {
  const dir = await mkdtemp(path.join(tmpdir(), 'anton-warehouse-'));
  const file = path.join(dir, 'warehouse.db');
  const db = new Database(file);
  db.exec(`
    CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, amount REAL);
    INSERT INTO sales (region, amount) VALUES ('eu', 10.5), ('us', 3.0), ('apac', 7.25);
  `);
  db.close();
  const read = <T>(use: (handle: Database.Database) => T): T => {
    const handle = new Database(file, { readonly: true });
    try {
      return use(handle);
    } finally {
      handle.close();
    }
  };
  return {
    dir,
    file,
    count: (table = 'sales') => read((handle) => handle.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get() ?? -1),
    tables: () => read((handle) => handle.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export function warehouseEnv(warehouse: Warehouse): Record<string, string> {
  return { ANTON_CONNECTOR_MODE: 'local', ANTON_CONNECTOR_LOCAL_SQLITE_MAP: JSON.stringify({ warehouse: warehouse.file }) };
}

// ---------------------------------------------------------------------------------------------
// Live reply deltas over the REST event stream (Server-Sent Events).

export interface LiveStream {
  /** `reply_delta` frames: `{run_id, text}`. */
  deltas: Array<{ run_id: string; text: string }>;
  /** Event frames, by type. */
  eventTypes: string[];
  close(): void;
}

/** Opens `GET /sessions/{id}/events` as SSE with reply deltas; resolves once the stream is open. */
export async function openLiveStream(service: TestService, sessionId: string, sinceId = 0): Promise<LiveStream> {
  const controller = new AbortController();
  const response = await fetch(`${service.url}/sessions/${sessionId}/events?since_id=${sinceId}&reply_deltas=true`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`SSE answered ${response.status}`);
  const stream: LiveStream = { deltas: [], eventTypes: [], close: () => controller.abort() };
  void readSseFrames(response.body, {
    frame: ({ event = '', data = '' }) => {
      if (event === 'reply_delta') stream.deltas.push(JSON.parse(data) as { run_id: string; text: string });
      else if (event !== '' && event !== 'error') stream.eventTypes.push(event);
    },
  });
  return stream;
}

// ---------------------------------------------------------------------------------------------
// Files.

export async function writeProjectContext(workspace: string, text: string): Promise<void> {
  await mkdir(path.join(workspace, '.anton'), { recursive: true });
  await writeFile(path.join(workspace, '.anton', 'anton.md'), text);
}
